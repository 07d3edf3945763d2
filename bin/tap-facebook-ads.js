#!/usr/bin/env node
// Thin launcher: registers tsx so the TypeScript sources run without a build step, then hands over.
import { register } from 'tsx/esm/api';
register();
await import('../connector/cli/tap.ts');
