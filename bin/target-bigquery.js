#!/usr/bin/env -S node --max-semi-space-size=1
// `target-bigquery`: see launch.js (compiled build, or the TypeScript sources through tsx while they are edited).
// A 1 MiB semi-space: the reading thread's garbage is one line at a time, and V8's default young
// generation only adds resident memory (peak 323 → 288 MiB at 100k rows into DuckDB, no slower; issue 20).
import { launch } from './launch.js';
await launch('target');
