#!/usr/bin/env node
// `tap-facebook-ads`: see launch.js (compiled build, or the TypeScript sources through tsx while they are edited).
import { launch } from './launch.js';
await launch('tap');
