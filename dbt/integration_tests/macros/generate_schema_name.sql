{#- The raw seeds go to the schema named in their config (facebook_ads, shop), as the target and
    a shop would have written them; everything else to the target schema. Test scaffolding only. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
{%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
