// The record validator's ajv: Singer's decimal formats and Graph's timestamp style added to the
// shared ajv setup, so the loader (checking a SCHEMA compiles) and the mappers (validating records)
// accept exactly the same values.
import { newAjv } from '../core/config.js';
import { DECIMAL_FORMATS } from './fields.js';

export function newRecordAjv(): ReturnType<typeof newAjv> {
  const ajv = newAjv();
  for (const f of DECIMAL_FORMATS) ajv.addFormat(f, /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/);
  // Graph writes offsets as +0000; RFC 3339 wants +00:00. Both are accepted (the row mapper
  // normalises), so a valid Graph timestamp is not a data error (singer-io/tap-facebook#52).
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/);
  return ajv;
}
