/**
 * Protocol Buffers bodies, read without their schema as `protoc --decode_raw` reads them: gRPC and
 * gRPC-Web (each message framed by a flag byte and a four-byte length; `grpc-web-text` sends the
 * frames in base64; a frame flagged compressed is inflated) and bare messages
 * (`application/x-protobuf`). Every length-delimited field whose bytes are text is a leaf
 * `body.protobuf.<field>.<field>...`, named by its field number; one whose bytes parse whole as a
 * message is walked as one. Numbers (varints, fixed widths) hold no attack text and are skipped.
 */
import { bytesToText, textByteReadings } from "../../parse/decode.ts";
import type { LeafSink } from "../sink.ts";

const BASE = "body.protobuf";

/** Media types whose body is gRPC frames (`+proto` or none: the default codec). */
const GRPC = /^application\/grpc(?:-web)?(?:\+proto)?$/;
const GRPC_TEXT = /^application\/grpc-web-text(?:\+proto)?$/;
/** Media types of a bare message. */
const MESSAGE = /^application\/(?:x-)?protobuf$|^application\/(?:vnd\.google\.protobuf|x-google-protobuf)$/;

export type ProtobufFraming = "grpc" | "grpc-text" | "message";

/** How a media type (lower-cased, without parameters) frames its protobuf, or null when it is no protobuf. */
export function protobufFraming(media: string): ProtobufFraming | null {
  return GRPC.test(media) ? "grpc" : GRPC_TEXT.test(media) ? "grpc-text" : MESSAGE.test(media) ? "message" : null;
}

/** One field of a message: its number and, for a length-delimited one, its bytes' range. */
interface Field {
  number: number;
  start: number;
  end: number;
}

/** A varint at `at`: [value, next index], or null past the end or beyond 64 bits. Values past 2^53 lose precision, which a field number or length never needs. */
function varint(b: Uint8Array, at: number, end: number): [number, number] | null {
  let value = 0;
  let scale = 1;
  for (let i = at; i < end && i < at + 10; i++) {
    value += (b[i]! & 0x7f) * scale;
    if (b[i]! < 0x80) return [value, i + 1];
    scale *= 128;
  }
  return null;
}

/** The length-delimited fields of the message in [start, end), or null when the bytes are no message whole. */
function messageFields(b: Uint8Array, start: number, end: number): Field[] | null {
  const out: Field[] = [];
  let at = start;
  while (at < end) {
    const key = varint(b, at, end);
    if (!key) return null;
    const number = Math.floor(key[0] / 8);
    const wire = key[0] % 8;
    at = key[1];
    if (number === 0 || number > 536_870_911) return null;
    if (wire === 0) {
      const v = varint(b, at, end);
      if (!v) return null;
      at = v[1];
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint(b, at, end);
      if (!length || length[1] + length[0] > end) return null;
      out.push({ number, start: length[1], end: length[1] + length[0] });
      at = length[1] + length[0];
    } else return null; // groups (3, 4) are long deprecated; 6 and 7 do not exist
  }
  return at === end ? out : null;
}

/**
 * Text a person or a program wrote: no control characters other than blanks and line breaks, read as
 * UTF-8 (Latin-1 when the bytes are no UTF-8, as bytesToText reads them).
 */
function textOf(b: Uint8Array): string | null {
  const text = bytesToText(b);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f || c === 0xfffd) return null;
  }
  return text;
}

/**
 * Adds the message's text fields as leaves and walks the ones that are messages: each field is read
 * one way, so that a message nested many times gives its text once. A field that starts with a
 * length-delimited key, as a nested message's usually does, is a message when its bytes parse whole as
 * one; any other is text when it reads as text (`hi` parses too, as field 13 and a varint), and a
 * message when it parses and is no text. Only a message is cut at the nesting limit: text there is
 * still a leaf. False when the sink took no more.
 */
function walk(sink: LeafSink, b: Uint8Array, fields: Field[], path: string, depth: number): boolean {
  for (const { number, start, end } of fields) {
    const fieldPath = `${path}.${number}`;
    const lengthKey = end > start && (b[start]! & 7) === 2;
    const asMessage = lengthKey ? messageFields(b, start, end) : null;
    const text = asMessage ? null : textOf(b.subarray(start, end));
    if (text !== null) {
      if (text !== "" && !sink.value("body", fieldPath, String(number), text)) return false;
      continue;
    }
    const nested = asMessage ?? (end > start && !lengthKey ? messageFields(b, start, end) : null);
    if (!nested) continue;
    if (depth >= sink.limits.maxDepth) sink.flag("too-deep");
    else if (!walk(sink, b, nested, fieldPath, depth + 1)) return false;
  }
  return true;
}

/**
 * The messages of gRPC frames (flag byte, four-byte length, message), null when the bytes are no
 * frames. One flagged compressed is inflated within the request's budget (the sink's), however many
 * frames there are: a few kilobytes of frames must not inflate to gigabytes.
 */
function grpcMessages(b: Uint8Array, sink: LeafSink): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at + 5 <= b.length) {
    const flag = b[at]!;
    const length = ((b[at + 1]! << 24) >>> 0) + (b[at + 2]! << 16) + (b[at + 3]! << 8) + b[at + 4]!;
    if (flag & 0x7e) return null;
    // A capture cut short keeps the part of the message that arrived.
    const message = b.subarray(at + 5, Math.min(b.length, at + 5 + length));
    at += 5 + length;
    if (flag & 0x80) continue; // gRPC-Web's trailers: headers, not a message
    const read = flag & 1 ? sink.inflate(message, false) : message;
    if (read) out.push(read);
  }
  return at >= b.length && out.length ? out : null;
}

/** grpc-web-text's body: base64 of the frames, each chunk a client flushed padded on its own. */
function fromBase64Chunks(text: string): Uint8Array {
  return Buffer.concat(text.replace(/\s+/g, "").split(/(?<==)(?=[^=])/).map((chunk) => Buffer.from(chunk, "base64")));
}

/**
 * Adds the body's leaves; false when it is not the protobuf its Content-Type claims (nothing was added
 * then). The body's bytes are tried as its text's UTF-8 and, failing that, one byte a character
 * (textByteReadings).
 */
export function addProtobufLeaves(sink: LeafSink, text: string, framing: ProtobufFraming): boolean {
  const readings = framing === "grpc-text" ? [fromBase64Chunks(text)] : textByteReadings(text);
  for (const b of readings) {
    const messages = framing === "message" ? [b] : grpcMessages(b, sink);
    const parsed = messages?.map((m) => ({ m, fields: messageFields(m, 0, m.length) }));
    if (!parsed?.length || parsed.some((p) => p.fields === null)) continue;
    for (const { m, fields } of parsed) if (!walk(sink, m, fields!, BASE, 1)) break;
    return true;
  }
  return false;
}
