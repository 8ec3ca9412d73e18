import {
  CEchoResponse,
  CFindResponse,
  CStoreResponse,
  type DimseRequest,
  type DimseResponse,
} from '../library.js';
import dcmjsDimse from 'dcmjs-dimse';

const { CMoveResponse, CGetResponse, NActionResponse } = dcmjsDimse.responses;

/** The response class of a request's command, with its ids copied (fromRequest). */
export function responseTo(request: DimseRequest): DimseResponse {
  const { CommandFieldType } = dcmjsDimse.constants as unknown as {
    CommandFieldType: Record<string, number>;
  };
  const type = request.getCommandFieldType();
  const from = (cls: { fromRequest(r: never): DimseResponse }) => cls.fromRequest(request as never);
  switch (type) {
    case CommandFieldType['CEchoRequest']:
      return from(CEchoResponse);
    case CommandFieldType['CFindRequest']:
      return from(CFindResponse);
    case CommandFieldType['CStoreRequest']:
      return from(CStoreResponse);
    case CommandFieldType['CMoveRequest']:
      return from(CMoveResponse);
    case CommandFieldType['CGetRequest']:
      return from(CGetResponse);
    case CommandFieldType['NActionRequest']:
      return from(NActionResponse);
    default:
      throw new Error(`no response for command field ${type}`);
  }
}

/** A final response with a failure status (and a comment without PHI). */
export function failureResponse(
  request: DimseRequest,
  status: number,
  comment?: string,
): DimseResponse {
  const response = responseTo(request);
  response.setStatus(status);
  if (comment !== undefined) response.setErrorComment(comment.slice(0, 64));
  return response;
}
