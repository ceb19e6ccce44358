//! Names and codes for the demo's generated participants: purchasing units as a province has them
//! (schools, hospitals, bureaus in every county), suppliers with plausible trade names, and unified
//! social credit codes with valid check characters.

use engine::types::{CreditCode, RegionCode};
use rand::Rng;

/// Kinds of purchasing unit in a county, with how often each occurs.
const COUNTY_UNITS: &[&str] = &[
    "第一小学",
    "第二小学",
    "实验小学",
    "第一中学",
    "第二中学",
    "职业高级中学",
    "人民医院",
    "中医院",
    "妇幼保健院",
    "疾病预防控制中心",
    "教育局",
    "卫生健康局",
    "财政局",
    "公安局",
    "自然资源和规划局",
    "交通运输局",
    "农业农村局",
    "文化和广电旅游体育局",
    "市场监督管理局",
    "机关事务管理中心",
    "图书馆",
    "档案馆",
    "社会福利院",
    "人民法院",
    "人民检察院",
];

/// Units at city and province level.
const UPPER_UNITS: &[&str] = &[
    "教育局",
    "卫生健康委员会",
    "财政局",
    "公安局",
    "大数据发展管理局",
    "机关事务管理局",
    "第一人民医院",
    "中心医院",
    "图书馆",
    "博物馆",
    "档案馆",
    "人民医院",
    "职业技术学院",
];

const TRADE_WORDS: &[&str] = &[
    "恒远", "博创", "信达", "华辰", "正元", "瑞丰", "中科", "天成", "汇通", "启明", "新程", "东方",
    "万象", "金桥", "宏图", "睿智", "卓越", "安泰", "立诚", "嘉禾", "永盛", "鼎新", "鸿运", "同创",
    "明德", "致远", "海纳", "弘毅", "朗润", "华夏",
];

const TRADES: &[&str] =
    &["科技", "信息技术", "办公设备", "电子", "贸易", "实业", "家具", "商贸", "网络科技", "数码"];

/// The name of the `n`th purchasing unit of a region; `level_name` is the region's name.
pub fn purchaser_name(region_name: &str, county: bool, n: usize) -> String {
    let units = if county { COUNTY_UNITS } else { UPPER_UNITS };
    let unit = units[n % units.len()];
    let round = n / units.len();
    if round == 0 {
        format!("{region_name}{unit}")
    } else {
        format!("{region_name}{unit}（{}分部）", round + 1)
    }
}

/// A supplier's trade name, registered in `city_name`.
pub fn supplier_name(rng: &mut impl Rng, city_name: &str, n: usize) -> String {
    let city = city_name.trim_end_matches('市');
    let word = TRADE_WORDS[n % TRADE_WORDS.len()];
    let trade = TRADES[rng.random_range(0..TRADES.len())];
    let round = n / TRADE_WORDS.len();
    let suffix = if round == 0 { String::new() } else { format!("{}", round + 1) };
    format!("{city}{word}{suffix}{trade}有限公司")
}

/// A valid unified social credit code: registration authority and kind (`91` enterprise, `12`
/// public institution), the registering region, and a serial as the organisation code.
pub fn credit_code(kind: &str, region: RegionCode, serial: usize) -> CreditCode {
    let first17 = format!("{kind}{region}MA{:07}", serial % 10_000_000);
    let check = CreditCode::check_char(first17.as_bytes()).map_or('?', char::from);
    // Digits and "MA" are all in the GB 32100 alphabet, so the check character always exists.
    format!("{first17}{check}").parse().expect("generated credit codes are well formed")
}
