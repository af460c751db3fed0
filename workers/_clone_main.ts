/**
 * The pool's thread encodes payloads and decodes results synchronously, so
 * it registers `node:v8` for structured clone as soon as the pool's modules
 * load (a worker loads it only when a value needs it: see _codec.ts).
 *
 * @module
 */

import { deserialize, serialize } from "node:v8";
import { useClone } from "./_codec.ts";

useClone({ serialize, deserialize });
