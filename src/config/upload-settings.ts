import { integer } from './setting.js';

/**
 * Resumable uploads (tus 1.0.0 at `/uploads`, README "Resumable uploads"): the bytes wait in
 * `DATA_DIR/uploads/` on this node until the last one arrives, then go through STOW.
 */
export const UPLOAD = {
  maxBytes: integer({
    env: 'UPLOAD_MAX_BYTES',
    // Several instances of a study in one multipart body may well exceed one instance's 4 GiB.
    default: 16 * 1024 ** 3,
    min: 1024,
    bytes: true,
    help: 'largest resumable upload (`Tus-Max-Size`); a larger `Upload-Length` is refused with 413 before any byte is sent. Unfinished uploads occupy `DATA_DIR/uploads/` until they finish or expire',
  }),
  expirySeconds: integer({
    env: 'UPLOAD_EXPIRY_SECONDS',
    default: 24 * 3600,
    min: 1,
    help: 'an upload not finished this long after its creation is deleted with its bytes (tus expiration: `Upload-Expires`), as is the kept result of a finished one; swept every half of it, at most every 15 minutes',
  }),
};
