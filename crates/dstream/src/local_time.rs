//! Wall-clock time in the machine's time zone, as the C library computes it: what Python's
//! `time.localtime` (and so PySpark's `pprint`) shows. The `TZ` variable, else `/etc/localtime`.
//!
//! The C library already knows every zone and its summer-time rules; asking it costs no
//! dependency (a time-zone crate is a second of every student's first `:dep`). Where it cannot be
//! asked (not a 64-bit Unix), times are shown in UTC.

/// A moment's calendar date and time of day: year, month (1–12), day, hour, minute, second.
type Civil = (i64, u32, u32, u32, u32, u32);

/// `YYYY-MM-DD HH:MM:SS` in local time for `seconds` since the Unix epoch.
pub(crate) fn date_time(seconds: i64) -> String {
    let (year, month, day, hour, minute, second) = local(seconds);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
}

/// `HH:MM:SS` in local time, now (the servers' log lines).
pub(crate) fn clock_now() -> String {
    let (_, _, _, hour, minute, second) = local(crate::clock::system_now().as_millis().div_euclid(1000));
    format!("{hour:02}:{minute:02}:{second:02}")
}

#[cfg(all(unix, target_pointer_width = "64"))]
fn local(seconds: i64) -> Civil {
    use std::os::raw::{c_char, c_int, c_long};

    /// C's `struct tm`, as glibc, musl and the BSDs (macOS included) lay it out.
    #[repr(C)]
    struct Tm {
        sec: c_int,
        min: c_int,
        hour: c_int,
        mday: c_int,
        mon: c_int,
        year: c_int,
        wday: c_int,
        yday: c_int,
        isdst: c_int,
        gmtoff: c_long,
        zone: *const c_char,
    }

    unsafe extern "C" {
        // `time_t` is a `long` on 64-bit Unix.
        fn localtime_r(time: *const c_long, result: *mut Tm) -> *mut Tm;
        fn tzset();
    }

    let time = seconds as c_long;
    let mut tm = Tm {
        sec: 0,
        min: 0,
        hour: 0,
        mday: 0,
        mon: 0,
        year: 0,
        wday: 0,
        yday: 0,
        isdst: 0,
        gmtoff: 0,
        zone: std::ptr::null(),
    };
    // SAFETY: `localtime_r` writes only into `tm`, which outlives the call, and returns null on
    // failure (a year that does not fit an int). `tzset` reads `TZ` again, as Python's `time.tzset`
    // and chrono do, so that a zone set while the program runs is used (`localtime_r` alone reads
    // it once); changing the environment while other threads run is `unsafe` in Rust for this
    // reason, and left to whoever does it.
    let done = unsafe {
        tzset();
        localtime_r(&time, &mut tm)
    };
    if done.is_null() {
        return utc(seconds);
    }
    (
        i64::from(tm.year) + 1900,
        (tm.mon + 1) as u32,
        tm.mday as u32,
        tm.hour as u32,
        tm.min as u32,
        tm.sec as u32,
    )
}

#[cfg(not(all(unix, target_pointer_width = "64")))]
fn local(seconds: i64) -> Civil {
    utc(seconds)
}

/// The date and time in UTC (Howard Hinnant's `civil_from_days`).
fn utc(seconds: i64) -> Civil {
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400) as u32);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day, of_day / 3600, of_day / 60 % 60, of_day % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_around_leap_days_and_the_epoch() {
        assert_eq!(utc(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc(-1), (1969, 12, 31, 23, 59, 59));
        assert_eq!(utc(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(utc(1_700_000_000), (2023, 11, 14, 22, 13, 20));
        assert_eq!(utc(4_107_542_399), (2100, 2, 28, 23, 59, 59));
        assert_eq!(utc(4_107_542_400), (2100, 3, 1, 0, 0, 0)); // 2100 is not a leap year
    }

    /// What `date` prints for these moments, in the zone this process runs in.
    fn date_says(seconds: i64, format: &str) -> Option<String> {
        let out = std::process::Command::new("date")
            .arg("-d")
            .arg(format!("@{seconds}"))
            .arg(format)
            .output()
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    #[test]
    fn local_time_is_what_date_shows() {
        // Winter and summer, and the hour around a change of time in Europe (2024-03-31 01:00 UTC).
        for seconds in [1_700_000_000, 1_720_000_000, 1_711_846_799, 1_711_846_800, 0] {
            let Some(expected) = date_says(seconds, "+%Y-%m-%d %H:%M:%S") else { return };
            assert_eq!(date_time(seconds), expected, "at {seconds}");
        }
    }

    #[test]
    fn the_tz_variable_picks_the_zone_as_in_python() {
        // In a child process of this test binary, so that the zone changes nowhere else.
        if std::env::var_os("DSTREAM_TZ_CHILD").is_some() {
            // 2024-07-01 12:00:00 UTC is 14:00 in Paris (summer time), 2024-01-15 12:00 UTC is 13:00.
            assert_eq!(date_time(1_719_835_200), "2024-07-01 14:00:00");
            assert_eq!(date_time(1_705_320_000), "2024-01-15 13:00:00");
            return;
        }
        if !std::path::Path::new("/usr/share/zoneinfo/Europe/Paris").exists() {
            return; // no time-zone database here: nothing to compare with
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "local_time::tests::the_tz_variable_picks_the_zone_as_in_python",
                "--nocapture",
            ])
            .env("DSTREAM_TZ_CHILD", "1")
            .env("TZ", "Europe/Paris")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && text.contains("1 passed"), "{text}");
    }
}
