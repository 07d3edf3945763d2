#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1
// `target-bigquery`: see launch.js (compiled build, or the TypeScript sources through tsx while they are edited).
// A 1 MiB semi-space: the reading thread's garbage is one line at a time, and V8's default young
// generation only adds resident memory (peak 323 → 288 MiB at 100k rows into DuckDB, no slower; issue 20).
// MALLOC_ARENA_MAX=2: glibc gives each thread that mallocs (DuckDB's, the map worker, libuv's pool)
// an arena of its own, up to 8 per core, and each keeps its freed pages: 14 arenas grew to ~37 MiB
// resident over a 300k-row load. Two arenas took that run's peak from 291 to 278 MiB at the same CPU
// (2026-12-01). glibc reads it at start, so it is set here, before Node (node-flags.ts passes it on).
import { launch } from './launch.js';
await launch('target');
