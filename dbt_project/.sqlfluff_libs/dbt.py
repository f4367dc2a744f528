"""Stand-ins for dbt's cross-database macros so SQLFluff's jinja templater can render models offline.

They return representative SQL of the right shape (the DuckDB rendering); they are never used to build.
"""


def type_string() -> str:
    return "varchar"


def type_int() -> str:
    return "integer"


def type_bigint() -> str:
    return "bigint"


def type_boolean() -> str:
    return "boolean"


def type_numeric() -> str:
    return "numeric(28, 6)"


def type_timestamp() -> str:
    return "timestamp"


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def datediff(first: str, second: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first}, {second})"


def dateadd(datepart: str, interval: object, from_date: str) -> str:
    return f"date_add({from_date}, interval ({interval}) {datepart})"


def last_day(date: str, datepart: str) -> str:
    return f"last_day({date})"


def hash(field: str) -> str:
    return f"md5(cast({field} as varchar))"


def concat(fields: list[str]) -> str:
    return " || ".join(fields)


def bool_or(expression: str) -> str:
    return f"bool_or({expression})"


def listagg(
    measure: str, delimiter_text: str = "','", order_by_clause: str = "", limit_num: object = None
) -> str:
    return f"string_agg({measure}, {delimiter_text} {order_by_clause})"


def split_part(string_text: str, delimiter_text: str, part_number: int) -> str:
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def right(string_text: str, length_expression: object) -> str:
    return f"right({string_text}, {length_expression})"


def date_spine(datepart: str, start_date: str, end_date: str) -> str:
    series = f"generate_series({start_date}, {end_date}, interval 1 {datepart})"
    return f"select unnest({series}) as date_{datepart}"
