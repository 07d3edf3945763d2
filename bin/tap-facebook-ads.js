#!/usr/bin/env -S node --max-semi-space-size=1 --no-opt --optimize-for-size --single-threaded
// `tap-facebook-ads`: see launch.js (compiled build, or the TypeScript sources through tsx while they are edited).
// The V8 flags above keep the tap's resident memory near Node's own floor (issue 20; measured in
// bench/RESULTS.md "Tap memory"): the tap streams, so its objects die young and a 1 MB young
// generation holds them; its CPU goes to JSON.parse/stringify (C++ builtins), so the optimising
// compiler's memory and compile time buy nothing; a heap this small needs no GC helper threads.
// Anything that starts the tap with `node <this file>` passes the same flags (connector/cli/node-flags.ts).
import { launch } from './launch.js';
await launch('tap');
