{#
    ASCII form of a name as other systems romanise it: accents removed (Zoë → Zoe), ß → ss, ł → l,
    ø → o, æ → ae, and Cyrillic transliterated (Дмитрий → Dmitriy). Expects lower-case input.
    Multi-letter Cyrillic sounds are replaced first, then single letters with translate().
#}
{% macro fold_to_ascii(column) -%}
    {%- set multi = [('щ', 'shch'), ('ж', 'zh'), ('х', 'kh'), ('ц', 'ts'), ('ч', 'ch'), ('ш', 'sh'),
                     ('ю', 'yu'), ('я', 'ya'), ('ъ', ''), ('ь', ''), ('ß', 'ss'), ('æ', 'ae')] -%}
    {#- a namespace, because a plain `set` inside a Jinja loop does not outlive the iteration -#}
    {%- set folded = namespace(expression=column) -%}
    {%- for letter, latin in multi -%}
        {%- set folded.expression = "replace(" ~ folded.expression ~ ", '" ~ letter ~ "', '" ~ latin ~ "')" -%}
    {%- endfor -%}
    {{ crm.strip_accents("translate(" ~ folded.expression ~ ", 'абвгдеёзийклмнопрстуфыэłø', 'abvgdeeziyklmnoprstufyelo')") }}
{%- endmacro %}
