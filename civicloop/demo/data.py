"""Static data of the demo city: sizes, departments, point types, leader titles."""

from __future__ import annotations

from dataclasses import dataclass

CITY_NAME = "示范市"
CITY_CODE = "371600"  # 6-digit administrative division code of the demo city
CITY_CENTRE = (117.97, 37.38)  # lng, lat (WGS-84)
AREA_PHONE_PREFIX = "0543"
DEMO_PASSWORD = "Demo@2026"
# Every demo account gets an address in this reserved domain; `--reset` finds them by it.
DEMO_EMAIL_DOMAIN = "demo.civicloop.invalid"


@dataclass(frozen=True)
class SizeSpec:
    districts: int
    streets: tuple[int, int]  # per district, inclusive range
    communities: tuple[int, int]  # per street
    grids: tuple[int, int]  # per community
    points: int  # target total number of points
    extent: float  # width of the city in degrees of longitude


SIZES: dict[str, SizeSpec] = {
    # `tiny` exists for tests: every structure present, built in well under a second.
    "tiny": SizeSpec(2, (2, 2), (2, 2), (2, 2), 80, 0.10),
    "small": SizeSpec(2, (3, 3), (3, 4), (2, 3), 500, 0.20),
    "medium": SizeSpec(4, (4, 6), (4, 6), (3, 5), 5000, 0.36),
    "large": SizeSpec(8, (6, 8), (6, 8), (4, 6), 32000, 0.60),
}


@dataclass(frozen=True)
class Dept:
    key: str  # short key used by the taxonomy and point types ("城管局")
    name: str
    code: str


# City departments (市直部门). Keys match civicloop.standards.taxonomy department keys.
CITY_DEPARTMENTS: tuple[Dept, ...] = (
    Dept("文明办", "市委宣传部（市文明办）", "WMB"),
    Dept("创城办", "市创建全国文明城市指挥部办公室", "CCB"),
    Dept("城管局", "市城市管理局（市综合行政执法局）", "CGJ"),
    Dept("市场监管局", "市市场监督管理局", "SCJG"),
    Dept("公安局", "市公安局", "GAJ"),
    Dept("交警支队", "市公安局交通警察支队", "JJZD"),
    Dept("教育局", "市教育局", "JYJ"),
    Dept("文旅局", "市文化和旅游局", "WLJ"),
    Dept("卫健委", "市卫生健康委员会", "WJW"),
    Dept("住建局", "市住房和城乡建设局", "ZJJ"),
    Dept("交通运输局", "市交通运输局", "JTYS"),
    Dept("生态环境局", "市生态环境局", "STHJ"),
    Dept("人民银行", "中国人民银行示范市分行", "RMYH"),
    Dept("商务局", "市商务局", "SWJ"),
    Dept("民政局", "市民政局", "MZJ"),
    Dept("团市委", "共青团示范市委员会", "TSW"),
    Dept("自然资源局", "市自然资源和规划局", "ZRZY"),
    Dept("水利局", "市水利局", "SLJ"),
    Dept("发改委", "市发展和改革委员会", "FGW"),
    Dept("工信局", "市工业和信息化局", "GXJ"),
    Dept("财政局", "市财政局", "CZJ"),
    Dept("人社局", "市人力资源和社会保障局", "RSJ"),
    Dept("农业农村局", "市农业农村局", "NYNC"),
    Dept("应急管理局", "市应急管理局", "YJGL"),
    Dept("行政审批局", "市行政审批服务局", "XZSP"),
    Dept("体育局", "市体育局", "TYJ"),
    Dept("妇联", "市妇女联合会", "FL"),
    Dept("总工会", "市总工会", "ZGH"),
    Dept("邮政管理局", "市邮政管理局", "YZGL"),
    Dept("司法局", "市司法局", "SFJ"),
    Dept("退役军人事务局", "市退役军人事务局", "TYJR"),
    Dept("医保局", "市医疗保障局", "YBJ"),
    Dept("大数据局", "市大数据局", "DSJ"),
    Dept("机关事务中心", "市机关事务服务中心", "JGSW"),
    Dept("国资委", "市国有资产监督管理委员会", "GZW"),
    Dept("消防救援支队", "市消防救援支队", "XFZD"),
    Dept("供电公司", "国网示范供电公司", "GDGS"),
    Dept("残联", "市残疾人联合会", "CL"),
    Dept("融媒体中心", "市融媒体中心", "RMT"),
    Dept("科协", "市科学技术协会", "KX"),
)

# Departments every district/county has (区直部门): (key, name suffix).
DISTRICT_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("文明办", "委宣传部（文明办）"),
    ("创城办", "创城办"),
    ("城管局", "综合行政执法局"),
    ("市场监管局", "市场监督管理局"),
    ("住建局", "住房和城乡建设局"),
    ("教育局", "教育和体育局"),
    ("卫健委", "卫生健康局"),
)

# 包片领导 titles; district leaders are city leaders, street leaders are district leaders.
CITY_LEADER_TITLES = (
    "市委副书记",
    "常务副市长",
    "副市长",
    "市委常委、宣传部部长",
    "市人大常委会副主任",
    "市政协副主席",
    "市委常委、秘书长",
    "副市长、市公安局局长",
)
DISTRICT_LEADER_TITLES = (
    "区委副书记",
    "常务副区长",
    "副区长",
    "区委常委、宣传部部长",
    "区人大常委会副主任",
    "区政协副主席",
    "区委常委、组织部部长",
    "区委常委、政法委书记",
)


@dataclass(frozen=True)
class PointTypeSpec:
    code: str
    name: str
    group: str
    lead: str  # key of the lead department (行业牵头单位)
    # Who is responsible for a point of this type:
    #   "operator" its own enterprise, "brand:<pool>" a city-level company from a pool,
    #   "property" a district property company, "street" the street office,
    #   "community" the residents' committee, "lead" the lead department.
    owner: str
    # Placement: fixed counts per area level ("city"/"district"/"street"/"community"),
    # or a weight sharing what is left of the size's point budget.
    per: str | None = None
    count: tuple[int, int] = (1, 1)
    weight: float = 0.0


# Append only: codes are stable identifiers of demo point types.
POINT_TYPES: tuple[PointTypeSpec, ...] = (
    PointTypeSpec("PT01", "农贸市场", "窗口单位", "市场监管局", "operator", weight=1.2),
    PointTypeSpec("PT02", "集贸市场", "窗口单位", "市场监管局", "street", weight=0.8),
    PointTypeSpec("PT03", "商场超市", "窗口单位", "商务局", "brand:supermarket", weight=3),
    PointTypeSpec("PT04", "银行营业厅", "窗口单位", "人民银行", "brand:bank", weight=4),
    PointTypeSpec("PT05", "电信营业厅", "窗口单位", "工信局", "brand:telecom", weight=1.5),
    PointTypeSpec("PT06", "邮政网点", "窗口单位", "邮政管理局", "brand:post", weight=1),
    PointTypeSpec("PT07", "快递网点", "窗口单位", "邮政管理局", "brand:express", weight=2),
    PointTypeSpec("PT08", "政务服务大厅", "窗口单位", "行政审批局", "lead", per="district"),
    PointTypeSpec("PT09", "医院", "窗口单位", "卫健委", "lead", per="district", count=(1, 3)),
    PointTypeSpec("PT10", "宾馆酒店", "窗口单位", "文旅局", "street", weight=3),
    PointTypeSpec("PT11", "加油站", "窗口单位", "商务局", "brand:fuel", weight=1),
    PointTypeSpec("PT12", "火车站", "交通场站", "交通运输局", "operator", per="city"),
    PointTypeSpec("PT13", "长途客运站", "交通场站", "交通运输局", "operator", per="city"),
    PointTypeSpec("PT14", "汽车站", "交通场站", "交通运输局", "operator", per="district"),
    PointTypeSpec("PT15", "公交站台", "交通场站", "交通运输局", "brand:bus", weight=8),
    PointTypeSpec("PT16", "主次干道", "道路街巷", "城管局", "street", weight=6),
    PointTypeSpec("PT17", "背街小巷", "道路街巷", "城管局", "street", weight=12),
    PointTypeSpec(
        "PT18", "城乡结合部", "道路街巷", "农业农村局", "street", per="district", count=(1, 2)
    ),
    PointTypeSpec("PT19", "社区", "社区小区", "民政局", "community", per="community"),
    PointTypeSpec("PT20", "小区", "社区小区", "住建局", "property", weight=14),
    PointTypeSpec("PT21", "新时代文明实践站", "社区小区", "文明办", "community", per="community"),
    PointTypeSpec(
        "PT22", "志愿服务站", "社区小区", "团市委", "community", per="street", count=(1, 2)
    ),
    PointTypeSpec("PT23", "公园", "公共场所", "城管局", "lead", weight=1),
    PointTypeSpec("PT24", "公共广场", "公共场所", "城管局", "lead", weight=0.8),
    PointTypeSpec("PT25", "公厕", "公共场所", "城管局", "lead", weight=4),
    PointTypeSpec("PT26", "景区", "公共场所", "文旅局", "operator", per="district", count=(0, 2)),
    PointTypeSpec("PT27", "图书馆", "公共场所", "文旅局", "lead", per="district"),
    PointTypeSpec("PT28", "博物馆", "公共场所", "文旅局", "lead", per="city", count=(1, 2)),
    PointTypeSpec("PT29", "文化馆", "公共场所", "文旅局", "lead", per="district"),
    PointTypeSpec("PT30", "体育场馆", "公共场所", "体育局", "lead", per="district", count=(0, 1)),
    PointTypeSpec("PT31", "学校", "校园及周边", "教育局", "lead", weight=3),
    PointTypeSpec("PT32", "幼儿园", "校园及周边", "教育局", "lead", weight=3),
    PointTypeSpec("PT33", "校园周边", "校园及周边", "教育局", "street", weight=2.5),
    PointTypeSpec("PT34", "网吧", "校园及周边", "文旅局", "street", weight=1.5),
    PointTypeSpec("PT35", "未成年人活动场所", "校园及周边", "团市委", "lead", per="street"),
    PointTypeSpec("PT36", "餐饮店", "经营场所", "市场监管局", "street", weight=10),
    PointTypeSpec(
        "PT37", "餐饮集中区", "经营场所", "市场监管局", "street", per="district", count=(1, 2)
    ),
    PointTypeSpec("PT38", "建筑工地", "经营场所", "住建局", "brand:construction", weight=2),
    PointTypeSpec("PT39", "公益广告点位", "宣传阵地", "文明办", "street", weight=5),
    PointTypeSpec("PT40", "社区卫生服务中心", "窗口单位", "卫健委", "lead", per="street"),
)
