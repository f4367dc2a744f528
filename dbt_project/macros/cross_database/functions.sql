{#
    SQL functions one engine lacks, created by the project's on-run-start hook (dbt_project.yml) in the
    target schema, so that every model computes the same values on every engine. DuckDB has them all
    built in: nothing to create.
#}
{% macro create_portable_functions() -%}
    {{ return(adapter.dispatch('create_portable_functions', 'crm')()) }}
{%- endmacro %}

{% macro duckdb__create_portable_functions() -%}
{%- endmacro %}

{#
    PostgreSQL: DuckDB's jaro_winkler_similarity (rapidfuzz's Jaro-Winkler over the UTF-8 bytes,
    prefix weight 0.1 up to four bytes, boost only above 0.7; 0 when either side is empty), step for
    step and in the same floating-point order, so that the identity rules link the same records.
#}
{% macro default__create_portable_functions() -%}
    create or replace function {{ target.schema }}.jaro_winkler_similarity(s1 text, s2 text)
    returns double precision
    language plpgsql immutable strict parallel safe
    as $jaro_winkler$
    declare
        p bytea := convert_to(s1, 'UTF8');
        t bytea := convert_to(s2, 'UTF8');
        p_len integer := length(p);
        t_len integer := length(t);
        bound integer;
        p_matched boolean[];
        t_matched boolean[];
        common integer := 0;
        transpositions integer := 0;
        prefix integer := 0;
        i integer;
        similarity double precision;
        weight double precision;
        exact numeric;
        rounded numeric;
        remainder numeric;
    begin
        if p_len = 0 or t_len = 0 then
            return 0;
        end if;
        if p_len = 1 and t_len = 1 then
            return case when p = t then 1 else 0 end;
        end if;
        -- a byte of t matches the first unmatched equal byte of p at most `bound` positions away
        bound := greatest(p_len, t_len) / 2 - 1;
        p_matched := array_fill(false, array[p_len]);
        t_matched := array_fill(false, array[t_len]);
        for j in 0 .. t_len - 1 loop
            for k in greatest(0, j - bound) .. least(p_len - 1, j + bound) loop
                if not p_matched[k + 1] and get_byte(p, k) = get_byte(t, j) then
                    p_matched[k + 1] := true;
                    t_matched[j + 1] := true;
                    common := common + 1;
                    exit;
                end if;
            end loop;
        end loop;
        if common = 0 then
            return 0;
        end if;
        -- matched bytes taken in order on both sides; each pair that differs is half a transposition
        i := 0;
        for j in 0 .. t_len - 1 loop
            if t_matched[j + 1] then
                while not p_matched[i + 1] loop
                    i := i + 1;
                end loop;
                if get_byte(p, i) <> get_byte(t, j) then
                    transpositions := transpositions + 1;
                end if;
                i := i + 1;
            end if;
        end loop;
        transpositions := transpositions / 2;
        similarity := (common::double precision / p_len + common::double precision / t_len
            + (common - transpositions)::double precision / common) / 3.0::double precision;
        if similarity > 0.7 then
            while prefix < least(p_len, t_len, 4) loop
                exit when get_byte(p, prefix) <> get_byte(t, prefix);
                prefix := prefix + 1;
            end loop;
            -- DuckDB's build compiles `sim += prefix * 0.1 * (1 - sim)` to one fused multiply-add
            -- (rounded once, not twice): computed exactly on the values scaled to integers (sim and
            -- 1 - sim are multiples of 2^-53, the weight of 2^-56), then rounded half to even.
            weight := prefix * 0.1::double precision;
            exact := (similarity * 9007199254740992)::bigint::numeric * 72057594037927936
                + (weight * 72057594037927936)::bigint::numeric
                * ((1 - similarity) * 9007199254740992)::bigint::numeric;
            rounded := div(exact, 72057594037927936);
            remainder := exact - rounded * 72057594037927936;
            if remainder > 36028797018963968 or (remainder = 36028797018963968 and mod(rounded, 2) = 1) then
                rounded := rounded + 1;
            end if;
            similarity := rounded::double precision / 9007199254740992;
        end if;
        return similarity;
    end
    $jaro_winkler$
{%- endmacro %}
