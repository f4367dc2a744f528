"""The true world behind the sources: organisations, people, sales reps, and each customer's lifecycle.

Everything the three sources later show is derived from these tables, so they agree: a customer's
acquisition day starts its orders, its churn day ends them (with a hazard that rises with bad support
experience and fading email engagement), and a win-back email from the campaign plan precedes its
reactivation. Value is Pareto-like (lognormal spend, few big accounts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from seeds.generator.campaigns import plan_campaigns
from seeds.generator.context import Context
from seeds.generator.names import (
    COMPANY_WORDS_A,
    COMPANY_WORDS_B,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    INDUSTRIES,
    INDUSTRY_WEIGHTS,
    name_pool,
    name_table,
    per_country,
    slug,
)
from seeds.generator.timeline import cumulative, sample_days

BANDS = np.array(["Consumer", "SMB", "Mid-Market", "Enterprise"])
# Per band: employees (median), annual spend USD (median, sigma), orders/year, monthly churn hazard,
# extra contacts (Poisson mean), opportunities/year weight, tickets/year weight.
BAND_EMPLOYEES = np.array([1, 25, 400, 6000])
BAND_SPEND = np.array([450.0, 9_000.0, 45_000.0, 260_000.0])
BAND_SPEND_SIGMA = np.array([0.9, 1.0, 0.9, 1.0])
BAND_ORDERS = np.array([3.0, 5.0, 9.0, 18.0])
BAND_HAZARD = np.array([0.05, 0.032, 0.018, 0.009])
BAND_CONTACTS = np.array([0.0, 1.2, 3.5, 9.0])
BAND_OPPS = np.array([0.0, 1.0, 3.0, 8.0])
BAND_TICKETS = np.array([1.0, 2.5, 6.0, 15.0])

TITLES = np.array(
    [
        "CEO",
        "CFO",
        "COO",
        "CTO",
        "VP Sales",
        "VP Operations",
        "Head of IT",
        "IT Manager",
        "Procurement Manager",
        "Purchasing Agent",
        "Operations Manager",
        "Office Manager",
        "Engineer",
        "Analyst",
        "Marketing Manager",
        "Finance Director",
        "Product Manager",
        "Account Manager",
    ]
)
REGIONS = np.array(["NA", "EMEA", "APAC", "LATAM"])
TEAMS = np.array(["Enterprise", "Mid-Market", "SMB", "Inside Sales"])
PERSONAL_DOMAINS = np.array(["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com"])
PERSONAL_WEIGHTS = np.array([0.5, 0.18, 0.14, 0.1, 0.08])
COUNTRY_CALLING = {
    "US": 1,
    "CA": 1,
    "GB": 44,
    "DE": 49,
    "FR": 33,
    "ES": 34,
    "IT": 39,
    "NL": 31,
    "SE": 46,
    "PL": 48,
    "BR": 55,
    "JP": 81,
    "RU": 7,
}


@dataclass
class Population:
    """The true organisations, people and reps, plus the campaign plan they live by."""

    orgs: pl.DataFrame
    persons: pl.DataFrame
    reps: pl.DataFrame
    campaigns: pl.DataFrame


def build_population(ctx: Context) -> Population:
    """Draw organisations, people, reps and lifecycles for the whole history."""
    clock = ctx.clock
    campaigns = plan_campaigns(clock, ctx.sf, ctx.streams("campaigns.plan"))
    reps = _reps(ctx)
    orgs = _orgs(ctx, reps, campaigns)
    persons = _persons(ctx, orgs)
    # A consumer account is the person: its name is theirs, and it has no company domain.
    consumer_name = persons.filter(pl.col("role") == "consumer").select(
        "org_idx", (pl.col("first_name") + " " + pl.col("last_name")).alias("person_name")
    )
    orgs = (
        orgs.join(consumer_name, on="org_idx", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("person_name", "company_name").alias("company_name"),
            pl.when(pl.col("person_name").is_null()).then(pl.col("domain")).alias("domain"),
            pl.when(pl.col("person_name").is_null()).then(pl.col("legal_suffix")).alias("legal_suffix"),
        )
        .drop("person_name")
        .sort("org_idx", maintain_order=True)
    )
    return Population(orgs=orgs, persons=persons, reps=reps, campaigns=campaigns)


def _reps(ctx: Context) -> pl.DataFrame:
    """Sales users: one manager per team × region, reps under them, a VP on top."""
    rng = ctx.streams("population.reps")
    # A sales team does not shrink linearly with the book: ~300 reps at SF 1, ~30 at SF 0.01.
    n_reps = max(12, round(300 * ctx.sf**0.5))
    managers = [(t, r) for t in TEAMS for r in REGIONS]
    team = rng.choice(TEAMS, n_reps, p=[0.15, 0.25, 0.35, 0.25])
    region = rng.choice(REGIONS, n_reps, p=[0.5, 0.3, 0.12, 0.08])
    pool = name_pool("en_US")
    n_all = 1 + len(managers) + n_reps
    first = pool.first_latin[rng.integers(0, len(pool.first_latin), n_all)]
    last = pool.last_latin[rng.integers(0, len(pool.last_latin), n_all)]
    manager_idx = {m: 1 + i for i, m in enumerate(managers)}
    teams = np.concatenate([["Leadership"], [m[0] for m in managers], team])
    regions = np.concatenate([["Global"], [m[1] for m in managers], region])
    manager = np.concatenate(
        [
            [-1],
            np.zeros(len(managers), dtype=int),
            [manager_idx[(t, r)] for t, r in zip(team, region, strict=True)],
        ]
    )
    titles = np.concatenate(
        [
            ["VP Sales"],
            ["Sales Manager"] * len(managers),
            np.where(team == "Inside Sales", "Sales Development Rep", "Account Executive"),
        ]
    )
    # 12% of reps leave during the history (their accounts keep the inactive owner, as in real CRMs).
    left_day = np.where(rng.random(n_all) < 0.12, rng.integers(90, ctx.clock.n_days, n_all), -1)
    left_day[: 1 + len(managers)] = -1
    emails = _dedupe_locals(pl.Series(first).str.to_lowercase() + "." + pl.Series(last).str.to_lowercase())
    return pl.DataFrame(
        {
            "rep_idx": np.arange(n_all),
            "first_name": first,
            "last_name": last,
            "email": emails + "@northwind-supply.com",
            "title": titles,
            "team": teams,
            "region": regions,
            "manager_idx": manager,
            "left_day": left_day,
            "is_rep": np.arange(n_all) > len(managers),
        }
    )


def _dedupe_locals(values: np.ndarray | pl.Series) -> pl.Series:
    """Append 2, 3, … to repeated values so every value is unique (the first keeps its form)."""
    frame = pl.DataFrame({"v": pl.Series(values, dtype=pl.String)})
    return frame.select(
        pl.when(pl.col("v").cum_count().over("v") > 1)
        .then(pl.col("v") + pl.col("v").cum_count().over("v").cast(pl.String))
        .otherwise(pl.col("v"))
    ).to_series()


def _orgs(ctx: Context, reps: pl.DataFrame, campaigns: pl.DataFrame) -> pl.DataFrame:
    rng = ctx.streams("population.orgs")
    clock = ctx.clock
    n_cust = ctx.target("customers", 20)
    n_prospect = max(5, round(45_000 * ctx.sf))
    n = n_cust + n_prospect
    is_customer = np.arange(n) < n_cust
    # Bands: 40% consumers among customers; prospects are companies.
    band = np.where(
        is_customer,
        rng.choice(4, n, p=[0.4, 0.432, 0.132, 0.036]),
        rng.choice([1, 2, 3], n, p=[0.75, 0.2, 0.05]),
    )
    country_idx = rng.choice(len(COUNTRIES), n, p=COUNTRY_WEIGHTS)
    country = np.array([c.code for c in COUNTRIES])[country_idx]
    city = per_country(rng, country_idx, "cities")
    currency = np.array([c.currency for c in COUNTRIES])[country_idx]
    region = np.array([c.region for c in COUNTRIES])[country_idx]
    industry = rng.choice(INDUSTRIES, n, p=INDUSTRY_WEIGHTS)
    employees = np.maximum(1, np.round(BAND_EMPLOYEES[band] * rng.lognormal(0, 0.6, n))).astype(np.int64)
    employees[band == 0] = 1

    # Company names: "<Word> <Noun>" or "<Lastname> <Noun>", plus the country's legal suffix.
    last_pool = name_pool("en_US").last_latin
    pairs = np.array([f"{a} {b}" for a in COMPANY_WORDS_A for b in COMPANY_WORDS_A if a != b])
    words_a = np.concatenate([COMPANY_WORDS_A, last_pool, pairs])
    kind = rng.choice(3, n, p=[0.3, 0.45, 0.25])
    pick_a = np.choose(
        kind,
        [
            rng.integers(0, len(COMPANY_WORDS_A), n),
            len(COMPANY_WORDS_A) + rng.integers(0, len(last_pool), n),
            len(COMPANY_WORDS_A) + len(last_pool) + rng.integers(0, len(pairs), n),
        ],
    )
    pick_b = rng.integers(0, len(COMPANY_WORDS_B), n)
    word_a, word_b = pl.Series(words_a.astype(str)).gather(pick_a), pl.Series(COMPANY_WORDS_B).gather(pick_b)
    base = word_a + " " + word_b
    suffix = per_country(rng, country_idx, "suffixes")
    company = base + " " + suffix
    tld = pl.Series([c.tld for c in COUNTRIES]).gather(country_idx)
    domain_local = _dedupe_locals(
        pl.Series(slug(words_a)).gather(pick_a) + pl.Series(slug(COMPANY_WORDS_B)).gather(pick_b)
    )
    domain = domain_local + "." + tld

    # Lifecycle: a legacy book acquired in the first weeks, then growth with seasonality.
    legacy = is_customer & (rng.random(n) < 0.35)
    acq_cum = cumulative(clock.weights("leads", "business", growth=0.4))
    acquired = np.where(
        legacy,
        rng.integers(0, 45, n),
        sample_days(rng, acq_cum, np.full(n, 45), np.full(n, clock.n_days - 1)),
    )
    acquired = np.where(is_customer, acquired, -1)
    funnel = is_customer & (band > 0) & ~legacy & (acquired >= 60) & (rng.random(n) < 0.6)

    spend = BAND_SPEND[band] * rng.lognormal(0.0, BAND_SPEND_SIGMA[band])
    orders_year = BAND_ORDERS[band] * rng.lognormal(0.0, 0.45, n)
    badness = rng.beta(2.0, 5.0, n)  # latent: how badly support treats this customer
    engagement = rng.beta(2.2, 3.0, n)  # latent: how much they read our email
    hazard = BAND_HAZARD[band] * np.exp(1.8 * (badness - 0.29)) * np.exp(1.4 * (0.42 - engagement))
    churn = acquired + np.ceil(rng.exponential(30.44 / hazard)).astype(np.int64) + 30
    churn = np.where(is_customer & (churn < clock.n_days - 1), churn, -1)

    # Win-back: the first win-back campaign ≥ 30 days after churn targets about half of the churned;
    # some of them come back 1–8 weeks later (less likely after bad support).
    winback_days = np.sort(campaigns.filter(pl.col("type") == "win_back")["send_day"].to_numpy())
    pos = np.searchsorted(winback_days, churn + 30)
    has_wb = (churn >= 0) & (pos < len(winback_days))
    wb_day = np.where(has_wb, winback_days[np.minimum(pos, len(winback_days) - 1)], -1)
    targeted = has_wb & (rng.random(n) < 0.55)
    wb_day = np.where(targeted, wb_day, -1)
    back = targeted & (rng.random(n) < 0.45 - 0.4 * badness)
    react = wb_day + 7 + np.round(rng.exponential(18, n)).astype(np.int64)
    react = np.where(back & (react < clock.n_days - 1), react, -1)

    # Owners: team by band, region by country.
    rep_team = reps["team"].to_numpy()
    rep_region = reps["region"].to_numpy()
    rep_ok = reps["is_rep"].to_numpy()
    want_team = np.array(["Inside Sales", "SMB", "Mid-Market", "Enterprise"])[band]
    owner = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for t in np.unique(want_team):
        for r in REGIONS:
            rows = np.flatnonzero((want_team == t) & (region == r))
            cands = np.flatnonzero(rep_ok & (rep_team == t) & (rep_region == r))
            if len(cands) == 0:
                cands = np.flatnonzero(rep_ok & (rep_team == t))
            if len(cands) == 0:
                cands = np.flatnonzero(rep_ok)
            owner[rows] = cands[(u[rows] * len(cands)).astype(np.int64)]

    parent = np.full(n, -1, dtype=np.int64)
    ent = np.flatnonzero(is_customer & (band == 3))
    if len(ent) > 4:
        kids = ent[rng.random(len(ent)) < 0.08]
        parent[kids] = ent[rng.integers(0, len(ent), len(kids))]
        parent[parent == np.arange(n)] = -1

    return pl.DataFrame(
        {
            "org_idx": np.arange(n),
            "customer_id": "CUST-" + pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(7),
            "is_customer": is_customer,
            "band": BANDS[band],
            "band_idx": band,
            "company_name": company,
            "base_name": base,
            "legal_suffix": suffix,
            "domain": domain,
            "country": country,
            "city": city,
            "region": region,
            "currency": currency,
            "industry": industry,
            "employees": employees,
            "annual_revenue": np.round(employees * rng.lognormal(np.log(180_000), 0.5, n), -3),
            "owner_idx": owner,
            "parent_idx": parent,
            "acquired_day": acquired,
            "funnel": funnel,
            "legacy": legacy,
            "churn_day": churn,
            "winback_day": wb_day,
            "reactivated_day": react,
            "spend_usd_year": spend,
            "orders_year": orders_year,
            "badness": badness,
            "engagement": engagement,
        }
    )


def _persons(ctx: Context, orgs: pl.DataFrame) -> pl.DataFrame:
    """People: contacts of business orgs, the one person of each consumer account, prospects' people,
    and individuals who only ever subscribe or enquire."""
    rng = ctx.streams("population.persons")
    clock = ctx.clock
    band = orgs["band_idx"].to_numpy()
    is_customer = orgs["is_customer"].to_numpy()
    per_org = np.where(band == 0, 1, 1 + rng.poisson(np.where(is_customer, BAND_CONTACTS[band], 0.6)))
    org_of = np.repeat(orgs["org_idx"].to_numpy(), per_org)
    first_in_org = np.concatenate([[True], org_of[1:] != org_of[:-1]])
    n_individuals = max(10, round(235_000 * ctx.sf))
    n = len(org_of) + n_individuals
    org_idx = np.concatenate([org_of, np.full(n_individuals, -1)])
    is_primary = np.concatenate([first_in_org, np.zeros(n_individuals, dtype=bool)])

    ind_country = rng.choice(len(COUNTRIES), n_individuals, p=COUNTRY_WEIGHTS)
    code_to_idx = {c.code: i for i, c in enumerate(COUNTRIES)}
    org_country_idx = np.array([code_to_idx[c] for c in orgs["country"].to_list()])
    country_idx = np.concatenate([org_country_idx[org_of], ind_country])
    has_org = org_idx >= 0
    safe_org = np.where(has_org, org_idx, 0)
    org_band = np.where(has_org, band[safe_org], 0)
    org_is_customer = has_org & is_customer[safe_org]
    role = np.where(
        ~has_org,
        "individual",
        np.where(org_band == 0, "consumer", np.where(org_is_customer, "contact", "prospect")),
    )

    names = name_table()
    fi, li = names.draw(rng, country_idx)
    f_slug, l_slug = names.first_slug.gather(fi), names.last_slug.gather(li)
    domain = orgs["domain"].gather(safe_org)
    pattern = pl.Series(rng.integers(0, 3, n))
    work_local = pl.select(
        pl.when(pattern == 0)
        .then(f_slug + "." + l_slug)
        .when(pattern == 1)
        .then(f_slug.str.slice(0, 1) + l_slug)
        .otherwise(f_slug + "_" + l_slug)
    ).to_series()
    work_email = _dedupe_email(work_local + "@" + domain)
    personal_domain = pl.Series(PERSONAL_DOMAINS).gather(
        rng.choice(len(PERSONAL_DOMAINS), n, p=PERSONAL_WEIGHTS)
    )
    digits = pl.Series(rng.integers(1, 99, n)).cast(pl.String)
    personal_local = pl.select(
        pl.when(pl.Series(rng.random(n) < 0.5))
        .then(f_slug + "." + l_slug)
        .otherwise(f_slug + l_slug + digits)
    ).to_series()
    personal_email = _dedupe_email(personal_local + "@" + personal_domain)
    business = np.isin(role, ["contact", "prospect"])
    email = pl.select(pl.when(pl.Series(business)).then(work_email).otherwise(personal_email)).to_series()

    calling = np.array([COUNTRY_CALLING[c.code] for c in COUNTRIES])[country_idx]
    phone_num = rng.integers(200_000_000, 999_999_999, n)
    phone = (
        pl.lit("+")
        + pl.Series(calling).cast(pl.String)
        + pl.lit(" ")
        + pl.Series(phone_num).cast(pl.String).str.slice(0, 3)
        + pl.lit(" ")
        + pl.Series(phone_num).cast(pl.String).str.slice(3)
    )
    title_pick = np.where(
        is_primary & (rng.random(n) < 0.5), rng.choice([0, 8, 6, 10], n), rng.integers(0, len(TITLES), n)
    )
    title = pl.select(pl.when(pl.Series(business)).then(pl.Series(TITLES).gather(title_pick))).to_series()

    # When each person becomes known to the company (their sales/marketing start).
    acquired = orgs["acquired_day"].to_numpy()
    churn = orgs["churn_day"].to_numpy()
    org_acq = np.where(has_org, acquired[safe_org], -1)
    join_lo = np.where(org_acq >= 0, org_acq, 0)
    end_active = np.where(has_org & (churn[safe_org] >= 0), churn[safe_org], clock.n_days - 1)
    known_day = np.where(
        is_primary | (org_acq < 0),
        join_lo,
        join_lo + (rng.random(n) * np.maximum(end_active - join_lo, 1) * 0.6).astype(np.int64),
    )
    lead_cum = cumulative(clock.weights("leads", "business", growth=0.3))
    ind_day = sample_days(rng, lead_cum, np.zeros(n, dtype=np.int64), np.full(n, clock.n_days - 1))
    known_day = np.where(~has_org | (role == "prospect"), ind_day, known_day)

    person_engagement = np.clip(
        np.where(has_org, orgs["engagement"].to_numpy()[safe_org], rng.beta(2.0, 3.2, n))
        + rng.normal(0, 0.08, n),
        0.02,
        0.98,
    )
    has_marketing = rng.random(n) < np.where(role == "contact", 0.78, np.where(role == "consumer", 0.7, 0.97))
    tz = np.array([c.time_zone for c in COUNTRIES])[country_idx]
    return pl.DataFrame(
        {
            "person_idx": np.arange(n),
            "person_id": "PERS-" + pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(8),
            "org_idx": org_idx,
            "role": role,
            "is_primary": is_primary,
            "first_name": names.first_native.gather(fi),
            "last_name": names.last_native.gather(li),
            "first_latin": names.first_latin.gather(fi),
            "last_latin": names.last_latin.gather(li),
            "email": email,
            "work_email": pl.select(pl.when(pl.Series(business)).then(work_email)).to_series(),
            "personal_email": personal_email,
            "country": np.array([c.code for c in COUNTRIES])[country_idx],
            "time_zone": tz,
            "title": title,
            "known_day": known_day,
            "engagement": person_engagement,
            "has_marketing": has_marketing,
        }
    ).with_columns(pl.select(phone.alias("phone")).to_series())


def _dedupe_email(emails: pl.Series) -> pl.Series:
    """Make addresses unique by numbering the local part of repeats (``ann.lee2@x.com``)."""
    k = pl.DataFrame({"e": emails}).select(pl.col("e").cum_count().over("e")).to_series().to_numpy()
    repeat = np.flatnonzero(k > 1)
    if len(repeat) == 0:
        return emails
    # Only the repeats are rewritten (the regexes over every address were most of the cost).
    again = pl.DataFrame({"e": emails.gather(repeat), "k": k[repeat]}).select(
        pl.col("e").str.extract(r"^([^@]*)@", 1)
        + pl.col("k").cast(pl.String)
        + "@"
        + pl.col("e").str.extract(r"@(.*)$", 1)
    )
    return emails.clone().scatter(repeat, again.to_series())
