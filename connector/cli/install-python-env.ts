// `npm ci` / `npm install` step (package.json `prepare`, after the build; `npm run setup:python` alone):
// makes .venv/ match requirements/python.lock.txt, a no-op in well under a second when it already does.
import { asConnectorError } from '../core/errors.js';
import { DBT_ENV_VAR, installPythonEnv, SKIP_ENV_VAR, VENV_DIR } from '../dbt/python-env.js';

if (process.env[SKIP_ENV_VAR] === '1') {
  process.stderr.write(`fb-ads-elt: ${SKIP_ENV_VAR}=1, not installing the Python tools; set ${DBT_ENV_VAR} to your dbt.\n`);
} else {
  try {
    const outcome = installPythonEnv({ say: (l) => process.stderr.write(`fb-ads-elt: ${l}\n`) });
    if (outcome === 'installed') process.stderr.write(`fb-ads-elt: dbt installed in ${VENV_DIR}\n`);
  } catch (err) {
    const e = asConnectorError(err);
    process.stderr.write(`fb-ads-elt: ${e.message}\n  ${e.hint ?? ''}\n`);
    process.exitCode = e.exitCode;
  }
}
