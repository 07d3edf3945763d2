// The demo's defaults, apart from demo.ts so the CLI can show them in --help without loading the demo.

/** Days of history the demo syncs (the demo world has 90+). */
export const DEMO_DAYS = 90;
