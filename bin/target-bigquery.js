#!/usr/bin/env node
// `target-bigquery`: see launch.js (compiled build, or the TypeScript sources through tsx while they are edited).
import { launch } from './launch.js';
await launch('target');
