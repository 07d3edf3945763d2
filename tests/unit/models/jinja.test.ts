// The dbt Jinja shims on nunjucks: return(), adapter.dispatch, {% do %}, {% test %}, Python
// string methods and the dbt filters.
import { expect } from 'chai';
import { createDbtEnvironment, preprocess, splitKeywordArgs } from '../../../connector/models/jinja.js';

function render(src: string, adapterType = 'duckdb', ctx: Record<string, unknown> = {}): string {
  return createDbtEnvironment({ adapterType }).renderString(preprocess(src), ctx).trim();
}

describe('models/jinja: dbt Jinja on nunjucks', function () {
  it('return() hands a macro value (a list, not text) back to the caller', function () {
    const out = render(`{% macro cols() %}{{ return(['a', 'b', 'c']) }}{% endmacro %}{% set c = cols() %}{{ c | length }}:{{ c | join('-') }}`);
    expect(out).to.equal('3:a-b-c');
  });

  it('adapter.dispatch picks the adapter implementation, then default__', function () {
    const macros = `{% macro m(x) %}{{ return(adapter.dispatch('m', 'pkg')(x)) }}{% endmacro %}{% macro default__m(x) %}D{{ x }}{% endmacro %}{% macro duckdb__m(x) %}K{{ x }}{% endmacro %}`;
    expect(render(`${macros}{{ m(1) }}`, 'duckdb')).to.equal('K1');
    expect(render(`${macros}{{ m(2) }}`, 'bigquery')).to.equal('D2');
  });

  it('dispatch without any implementation is a compile error naming the macro', function () {
    expect(() => render(`{{ adapter.dispatch('nope')() }}`)).to.throw(/duckdb__nope or default__nope/);
  });

  it('supports Python string methods and dict/list methods after installJinjaCompat', function () {
    expect(render(`{{ "Abc".upper() }} {{ "a,b".split(",") | length }} {{ "xyz".startswith("x") }} {{ "  p ".strip() }}`)).to.equal('ABC 2 true p');
    expect(render(`{% set d = {'k': 1} %}{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %}`)).to.equal('k=1');
  });

  it('runs {% do %} statements and turns {% test %} blocks into test_ macros', function () {
    expect(render(`{% set l = [] %}{% do l.append(4) %}{{ l | length }}`)).to.equal('1');
    expect(render(`{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} < 0{% endtest %}{{ test_positive('t', 'x') }}`)).to.equal('select * from t where x < 0');
  });

  it('adds the dbt filters tojson and as_bool', function () {
    expect(render(`{{ {'a': 1} | tojson }} {{ 'true' | as_bool }}`)).to.equal('{"a":1} true');
  });

  it('refuses Python %-formatting (nunjucks would print NaN) and offers the format filter', function () {
    expect(() => render(`{{ "%s_%s" % (a, b) }}`)).to.throw(/%-formatting is not supported/);
    expect(render(`{{ "%s_%s" | format('a', 'b') }}`)).to.equal('a_b');
    expect(render(`{{ 10 % 3 }}`)).to.equal('1');
  });

  it('separates keyword arguments from positional ones', function () {
    expect(splitKeywordArgs([1, { __keywords: true, a: 2 }])).to.deep.equal({ positional: [1], keywords: { a: 2 } });
    expect(splitKeywordArgs([1, 2])).to.deep.equal({ positional: [1, 2], keywords: {} });
  });
});
