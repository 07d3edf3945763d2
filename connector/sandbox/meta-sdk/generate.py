#!/usr/bin/env python3
"""Writes graph-api.json: what Meta's Graph API accepts, read from Meta's own SDK (facebook-business).

For the node types the sandbox serves: readable fields (with their SDK types), every GET edge (target
node type, parameter types, enum values per parameter) and the POST edges that create report runs;
for the node types those edges return: readable fields. The sandbox's strictness comes from this file
and never from the tap's declarations (design.md §2).

Run by hand when upgrading the SDK (see README.md beside this file):
    python3 -m venv /tmp/meta-sdk && /tmp/meta-sdk/bin/pip install facebook-business==25.0.3
    /tmp/meta-sdk/bin/python connector/sandbox/meta-sdk/generate.py > connector/sandbox/meta-sdk/graph-api.json
--check compares the committed file with what this SDK produces (exit 1 and a diff summary if not).

How the SDK is read: every adobjects class is imported; fields come from its `Field` class, edges from
calling each get_*/create_* method with pending=True (no network: the SDK only builds the request), which
exposes the endpoint, HTTP method, target class and the TypeChecker's param_types and enums. The codegen
appends an object's creation params to its `Field` class after the readable fields (a second
alphabetical run, e.g. AdReportRun's `breakdowns`, Campaign's `execution_options`): only the first run is
readable.
"""
import importlib
import json
import pkgutil
import sys

import facebook_business
from facebook_business import adobjects
from facebook_business.api import FacebookAdsApi, FacebookRequest
from facebook_business.apiconfig import ads_api_config
from facebook_business.adobjects.abstractcrudobject import AbstractCrudObject
from facebook_business.adobjects.abstractobject import AbstractObject

SDK_PACKAGE = 'facebook-business'
COMMAND = 'python3 connector/sandbox/meta-sdk/generate.py > connector/sandbox/meta-sdk/graph-api.json'

# Node types the sandbox serves (SDK class names): their edges are listed in full.
SERVED = ['User', 'SystemUser', 'BusinessUser', 'Business', 'AdAccount', 'Campaign', 'AdSet', 'Ad', 'AdCreative', 'Page', 'AdsPixel', 'ProductCatalog', 'AdReportRun']


def load_classes():
    out = {}
    for mod in pkgutil.iter_modules(adobjects.__path__):
        if mod.ispkg:
            continue
        m = importlib.import_module('facebook_business.adobjects.' + mod.name)
        for v in vars(m).values():
            if isinstance(v, type) and issubclass(v, AbstractObject) and v.__module__ == m.__name__:
                out[v.__name__] = v
    return out


def field_names(cls):
    return [v for k, v in vars(cls.Field).items() if not k.startswith('_') and isinstance(v, str)]


def readable_fields(cls):
    """The first alphabetical run of Field (the codegen appends creation params as a second run)."""
    names = field_names(cls)
    for i in range(1, len(names)):
        if names[i] < names[i - 1]:
            return names[:i], names[i:]
    return names, []


def enum_values(values):
    """`SomeEnum.__dict__.values()` as the SDK passes it: keep the public members only."""
    mapping = getattr(values, 'mapping', None)
    if mapping is not None:
        return sorted(v for k, v in mapping.items() if not k.startswith('_') and isinstance(v, str))
    return sorted(v for v in values if isinstance(v, str) and not v.startswith('facebook_business'))


def edges_of(cls, api):
    obj = cls(fbid='1', api=api) if issubclass(cls, AbstractCrudObject) else None
    if obj is None:
        return []
    out = []
    for name in sorted(vars(cls)):
        if not (name.startswith('get_') or name.startswith('create_') or name == 'api_get'):
            continue
        fn = getattr(obj, name)
        try:
            req = fn(pending=True)
        except TypeError:
            continue
        if not isinstance(req, FacebookRequest):
            continue
        checker = req._param_checker
        params = dict(checker._type_check_info)
        enums = {k: enum_values(v) for k, v in checker._enum_data.items()}
        target = req._target_class.__name__ if req._target_class is not None else None
        out.append((req._method, req._endpoint, target, params, enums))
    return out


def param_spec(params, enums):
    """{param: {type, enum?}}: the enum values resolved onto the parameter that uses them."""
    out = {}
    for p, t in sorted(params.items()):
        spec = {'type': t}
        inner = t[5:-1] if t.startswith('list<') and t.endswith('>') else t
        if inner in enums:
            spec['enum'] = enums[inner]
        out[p] = spec
    return out


def build():
    api = FacebookAdsApi.init(access_token='generator-offline', api_version=ads_api_config['API_VERSION'])
    classes = load_classes()
    nodes = {}
    warnings = []

    def node_fields(name):
        cls = classes[name]
        readable, appended = readable_fields(cls)
        types = getattr(cls, '_field_types', {})
        return readable, appended, {f: types.get(f, 'string') for f in readable}

    targets = set()
    for name in SERVED:
        cls = classes[name]
        readable, appended, fields = node_fields(name)
        edges = {}
        creates = {}
        for method, endpoint, target, params, enums in edges_of(cls, api):
            if endpoint == '':
                if method == 'GET':
                    # api_get: params of reading the node itself
                    node_params = param_spec(params, enums)
                continue
            spec = {'target': target, 'params': param_spec(params, enums)}
            if method == 'GET':
                if endpoint in edges and edges[endpoint]['target'] != target:
                    warnings.append(f'{name}/{endpoint}: two GET methods ({edges[endpoint]["target"]}, {target})')
                edges[endpoint] = spec
                if target:
                    targets.add(target)
            elif method == 'POST' and target == 'AdReportRun':
                creates[endpoint] = spec
        node = {'fields': fields, 'edges': dict(sorted(edges.items()))}
        if creates:
            node['post_edges'] = dict(sorted(creates.items()))
        if node_params:
            node['params'] = node_params
        if appended:
            node['creation_params_in_sdk_field_class'] = appended
        nodes[name] = node
    for name in sorted(targets - set(SERVED)):
        if name not in classes:
            warnings.append(f'edge target {name} is not an adobjects class')
            continue
        _, _, fields = node_fields(name)
        nodes[name] = {'fields': fields}
    doc = {
        'stamp': {
            'sdk_package': SDK_PACKAGE,
            'sdk_version': facebook_business.__version__,
            'api_version': ads_api_config['API_VERSION'],
            'source': 'facebook_business/adobjects/*.py: Field classes, _field_types, get_*/create_* param_types and enums',
            'command': COMMAND,
            'python': f'{sys.version_info.major}.{sys.version_info.minor}',
        },
        'nodes': dict(sorted(nodes.items())),
    }
    return doc, warnings


def main():
    doc, warnings = build()
    for w in warnings:
        print('warning: ' + w, file=sys.stderr)
    text = json.dumps(doc, indent=1, sort_keys=False) + '\n'
    if len(sys.argv) > 1 and sys.argv[1] == '--check':
        path = sys.argv[2] if len(sys.argv) > 2 else 'connector/sandbox/meta-sdk/graph-api.json'
        with open(path, encoding='utf-8') as f:
            committed = json.load(f)
        if committed == json.loads(text):
            print(f'{path} matches {SDK_PACKAGE} {facebook_business.__version__}')
            return 0
        print(f'{path} differs from what {SDK_PACKAGE} {facebook_business.__version__} produces: rerun\n  {COMMAND}', file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
