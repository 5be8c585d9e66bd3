use super::*;

/// Saturday 15 August 2026: Q3, ISO week 33 (Monday 10 August).
fn today() -> NaiveDate {
    d("2026-08-15")
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn range(q: &str) -> (NaiveDate, NaiveDate) {
    let p = find_period(q, today()).unwrap().unwrap();
    (p.range.from, p.range.to)
}

fn label(q: &str) -> String {
    find_period(q, today()).unwrap().unwrap().label
}

#[test]
fn a_quarter_that_has_started_is_this_years() {
    assert_eq!(
        range("What were our sales in Q2?"),
        (d("2026-04-01"), d("2026-06-30"))
    );
    assert_eq!(label("What were our sales in Q2?"), "Q2 2026");
    assert_eq!(range("revenue in q1"), (d("2026-01-01"), d("2026-03-31")));
    assert_eq!(range("first quarter"), (d("2026-01-01"), d("2026-03-31")));
    assert_eq!(range("the 2nd quarter"), (d("2026-04-01"), d("2026-06-30")));
}

#[test]
fn a_quarter_not_yet_started_is_last_years() {
    assert_eq!(range("sales in Q4"), (d("2025-10-01"), d("2025-12-31")));
    assert_eq!(label("sales in Q4"), "Q4 2025");
    assert_eq!(range("fourth quarter"), (d("2025-10-01"), d("2025-12-31")));
}

#[test]
fn the_current_quarter_is_cut_at_today_and_says_so() {
    let p = find_period("sales in Q3", today()).unwrap().unwrap();
    assert_eq!(
        (p.range.from, p.range.to),
        (d("2026-07-01"), d("2026-08-15"))
    );
    assert_eq!(p.label, "Q3 2026 to date");
    assert!(p.note.unwrap().contains("up to today (2026-08-15)"));
    assert_eq!(range("this quarter"), (d("2026-07-01"), d("2026-08-15")));
}

#[test]
fn a_quarter_with_a_year_is_that_years() {
    assert_eq!(range("Q2 2025"), (d("2025-04-01"), d("2025-06-30")));
    assert_eq!(range("2025 Q4"), (d("2025-10-01"), d("2025-12-31")));
    assert_eq!(
        range("first quarter of 2024"),
        (d("2024-01-01"), d("2024-03-31"))
    );
    assert_eq!(range("last quarter"), (d("2026-04-01"), d("2026-06-30")));
}

#[test]
fn months_weeks_and_days_are_calendar_units_in_the_tenants_days() {
    assert_eq!(
        range("revenue last month"),
        (d("2026-07-01"), d("2026-07-31"))
    );
    assert_eq!(label("revenue last month"), "July 2026");
    assert_eq!(range("this month"), (d("2026-08-01"), d("2026-08-15")));
    assert_eq!(range("last week"), (d("2026-08-03"), d("2026-08-09")));
    assert_eq!(range("this week"), (d("2026-08-10"), d("2026-08-15")));
    assert_eq!(range("yesterday"), (d("2026-08-14"), d("2026-08-14")));
    assert_eq!(range("sales today"), (d("2026-08-15"), d("2026-08-15")));
}

#[test]
fn last_month_in_january_is_last_years_december() {
    let p = find_period("last month", d("2026-01-10")).unwrap().unwrap();
    assert_eq!(
        (p.range.from, p.range.to),
        (d("2025-12-01"), d("2025-12-31"))
    );
    let p = find_period("last quarter", d("2026-02-01"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.range.from, p.range.to),
        (d("2025-10-01"), d("2025-12-31"))
    );
}

#[test]
fn years_and_year_to_date() {
    for q in ["YTD", "year to date sales", "this year"] {
        assert_eq!(range(q), (d("2026-01-01"), d("2026-08-15")), "{q}");
    }
    assert_eq!(range("last year"), (d("2025-01-01"), d("2025-12-31")));
    assert_eq!(range("sales in 2025"), (d("2025-01-01"), d("2025-12-31")));
    assert_eq!(label("sales in 2025"), "2025");
}

#[test]
fn rolling_periods_end_today() {
    assert_eq!(range("last 7 days"), (d("2026-08-09"), d("2026-08-15")));
    assert_eq!(range("past 30 days"), (d("2026-07-17"), d("2026-08-15")));
    assert_eq!(range("last two weeks"), (d("2026-08-02"), d("2026-08-15")));
    assert_eq!(range("last 3 months"), (d("2026-05-16"), d("2026-08-15")));
    assert_eq!(label("last 7 days"), "the last 7 days");
    assert_eq!(range("past week"), (d("2026-08-09"), d("2026-08-15")));
    assert_eq!(range("past month"), (d("2026-07-16"), d("2026-08-15")));
    assert_eq!(label("past month"), "the past month");
    assert_eq!(range("past year"), (d("2025-08-16"), d("2026-08-15")));
}

#[test]
fn month_names_are_the_most_recent_such_month_unless_a_year_is_named() {
    assert_eq!(range("sales in March"), (d("2026-03-01"), d("2026-03-31")));
    assert_eq!(
        range("sales in December"),
        (d("2025-12-01"), d("2025-12-31"))
    );
    assert_eq!(range("March 2025"), (d("2025-03-01"), d("2025-03-31")));
    assert_eq!(range("feb 2024"), (d("2024-02-01"), d("2024-02-29")));
    assert_eq!(range("in may"), (d("2026-05-01"), d("2026-05-31")));
    assert_eq!(label("sales in March"), "March 2026");
}

#[test]
fn may_as_a_verb_is_not_a_month() {
    assert_eq!(find_period("may I see the sales", today()).unwrap(), None);
}

#[test]
fn explicit_dates_make_a_range() {
    assert_eq!(
        range("between 2025-03-01 and 2025-03-15"),
        (d("2025-03-01"), d("2025-03-15"))
    );
    assert_eq!(
        range("from 2025-03-15 to 2025-03-01"),
        (d("2025-03-01"), d("2025-03-15"))
    );
    assert_eq!(range("on 2025-03-02"), (d("2025-03-02"), d("2025-03-02")));
    assert_eq!(
        label("between 2025-03-01 and 2025-03-15"),
        "2025-03-01 to 2025-03-15"
    );
}

#[test]
fn no_period_is_none_and_the_default_is_the_last_30_days() {
    assert_eq!(find_period("how much did we sell", today()).unwrap(), None);
    let p = default_period(today());
    assert_eq!(
        (p.range.from, p.range.to),
        (d("2026-07-17"), d("2026-08-15"))
    );
    assert!(p.note.unwrap().contains("last 30 days"));
}

#[test]
fn a_period_that_has_not_started_is_refused() {
    let err = find_period("sales in 2027", today()).unwrap_err();
    assert!(err.contains("has not started"), "{err}");
    assert!(find_period("between 2026-09-01 and 2026-09-30", today()).is_err());
}

#[test]
fn the_period_before_is_the_same_unit_and_length() {
    let q2 = find_period("Q2", today()).unwrap().unwrap();
    let q1 = previous(&q2);
    assert_eq!(
        (q1.range.from, q1.range.to),
        (d("2026-01-01"), d("2026-03-31"))
    );
    assert_eq!(q1.label, "Q1 2026");
    let july = find_period("last month", today()).unwrap().unwrap();
    let june = previous(&july);
    assert_eq!(
        (june.range.from, june.range.to),
        (d("2026-06-01"), d("2026-06-30"))
    );
    assert_eq!(june.label, "June 2026");
    let mtd = find_period("this month", today()).unwrap().unwrap();
    let before = previous(&mtd);
    assert_eq!(
        (before.range.from, before.range.to),
        (d("2026-07-01"), d("2026-07-15"))
    );
    let week = find_period("last week", today()).unwrap().unwrap();
    let w = previous(&week);
    assert_eq!(
        (w.range.from, w.range.to),
        (d("2026-07-27"), d("2026-08-02"))
    );
    let days = find_period("last 7 days", today()).unwrap().unwrap();
    let b = previous(&days);
    assert_eq!(
        (b.range.from, b.range.to),
        (d("2026-08-02"), d("2026-08-08"))
    );
}

#[test]
fn a_year_before_is_the_same_days() {
    let q2 = find_period("Q2", today()).unwrap().unwrap();
    let y = year_before(&q2);
    assert_eq!(
        (y.range.from, y.range.to),
        (d("2025-04-01"), d("2025-06-30"))
    );
    assert_eq!(y.label, "Q2 2025");
    let ytd = find_period("ytd", today()).unwrap().unwrap();
    let y = year_before(&ytd);
    assert_eq!(
        (y.range.from, y.range.to),
        (d("2025-01-01"), d("2025-08-15"))
    );
}

#[test]
fn ranges_are_named_by_their_calendar_unit_when_whole() {
    let name = |from: &str, to: &str| {
        describe(DateRange {
            from: d(from),
            to: d(to),
        })
    };
    assert_eq!(name("2026-04-01", "2026-06-30"), "Q2 2026");
    assert_eq!(name("2026-07-01", "2026-07-31"), "July 2026");
    assert_eq!(name("2025-01-01", "2025-12-31"), "2025");
    assert_eq!(name("2026-05-01", "2026-07-31"), "2026-05-01 to 2026-07-31");
    assert_eq!(name("2026-07-01", "2026-07-30"), "2026-07-01 to 2026-07-30");
    assert_eq!(name("2026-07-04", "2026-07-04"), "2026-07-04");
}
