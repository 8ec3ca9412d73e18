import { CEchoResponse, Status, VERIFICATION_SOP_CLASS } from '../library.js';
import { uncompressedSyntax, type ScpService } from './service.js';

/** Verification SOP Class SCP (PS3.4 Annex A): C-ECHO answers Success while we are up. */
export const echoService: ScpService = {
  name: 'echo',
  handles: (uid) => uid === VERIFICATION_SOP_CLASS,
  transferSyntax: uncompressedSyntax,
  cEcho: async (_context, request, respond) => {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    respond(response);
    return Promise.resolve();
  },
};
