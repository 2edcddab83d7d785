// Image files of the montage-like workflow: a blob whose header gives the tile's place on the sky canvas and whose
// payload is float32 pixels, row-major.
import { decodeBlob, encodeBlob, readBytes, writeDurable } from '../../lib/common.mjs';

export function readImage(path) {
  const { header, payload } = decodeBlob(readBytes(path));
  return { ...header, pixels: new Float32Array(payload.buffer, payload.byteOffset, payload.byteLength / 4) };
}

export function writeImage(path, image) {
  const { pixels, ...header } = image;
  writeDurable(path, encodeBlob(header, pixels));
}
