"""Demo data: an index system modelled on 全国文明城市测评体系 and check items per point type.

The wording is invented but follows the real structure: 测评项目 → (指标) → 测评内容 →
测评标准, with methods, lead and cooperating departments (keys of
civicloop.demo.data.CITY_DEPARTMENTS), applicable point types and a negative list.

Codes are stable identifiers: indicator codes come from positions (01, 01.02, 01.02.03…),
check item codes are "<point type code>-<nn>" by position in the lists below, so **append
new entries at the end of a list; never reorder or delete**.
"""

from __future__ import annotations

from dataclasses import dataclass

F, S, ON, M, D = "field", "survey", "online", "material", "data"


@dataclass(frozen=True)
class Content:
    key: str  # referenced by check items
    text: str
    lead: str
    coop: tuple[str, ...]
    methods: tuple[str, ...]
    types: tuple[str, ...]  # point type codes
    standards: tuple[str, ...]
    score: float = 1.0  # per standard
    negative: bool = False


def C(key, text, lead, coop, methods, types, *standards, score=1.0, negative=False) -> Content:
    return Content(
        key, text, lead, tuple(coop), tuple(methods), tuple(types), standards, score, negative
    )


# (测评项目, [(指标 or None, [Content…])])
INDEX: tuple[tuple[str, tuple[tuple[str | None, tuple[Content, ...]], ...]], ...] = (
    (
        "一、公共文明",
        (
            (
                "（一）文明交通",
                (
                    C(
                        "traffic_yield",
                        "1.机动车礼让斑马线",
                        "交警支队",
                        ("交通运输局",),
                        (F,),
                        ("PT16",),
                        "①机动车行经人行横道减速礼让行人",
                        "②路口设置礼让行人提示标识",
                        "③公交车、出租车驾驶员礼让率达到100%",
                        score=1.5,
                    ),
                    C(
                        "traffic_ped",
                        "2.行人和非机动车守法出行",
                        "交警支队",
                        ("文明办", "团市委"),
                        (F, S),
                        ("PT16",),
                        "①行人不闯红灯、不跨越护栏",
                        "②非机动车不逆行、不闯红灯",
                        "③电动自行车驾乘人员规范佩戴头盔",
                        "④重点路口有文明交通志愿者劝导",
                    ),
                    C(
                        "traffic_park",
                        "3.车辆停放有序",
                        "交警支队",
                        ("城管局", "住建局"),
                        (F,),
                        ("PT16", "PT17", "PT20"),
                        "①机动车按泊位停放，无占用人行道停车",
                        "②非机动车、共享单车停放整齐",
                        "③停车泊位标线清晰",
                    ),
                ),
            ),
            (
                "（二）公共场所秩序",
                (
                    C(
                        "order_queue",
                        "1.公共场所排队有序",
                        "文明办",
                        ("商务局", "交通运输局"),
                        (F,),
                        ("PT03", "PT04", "PT08", "PT12", "PT13"),
                        "①窗口服务场所设置一米线",
                        "②无插队、拥挤现象",
                        "③设置文明排队提示",
                    ),
                    C(
                        "order_smoke",
                        "2.公共场所控烟",
                        "卫健委",
                        ("文旅局", "市场监管局"),
                        (F,),
                        ("PT03", "PT09", "PT10", "PT27", "PT40"),
                        "①室内公共场所禁烟标识醒目",
                        "②室内无吸烟行为、无烟头",
                        "③设置控烟监督员",
                    ),
                    C(
                        "order_behavior",
                        "3.市民文明行为",
                        "文明办",
                        ("城管局", "公安局"),
                        (F, S),
                        ("PT23", "PT24"),
                        "①无随地吐痰、乱扔杂物",
                        "②无乱写乱画、乱贴乱挂",
                        "③文明养犬，及时清理犬只粪便",
                        "④公共场所无大声喧哗",
                    ),
                ),
            ),
            (
                "（三）文明旅游",
                (
                    C(
                        "tour",
                        "1.景区文明旅游",
                        "文旅局",
                        ("市场监管局",),
                        (F, M),
                        ("PT26",),
                        "①景区设置文明旅游提示",
                        "②游客服务中心功能完善",
                        "③旅游厕所干净整洁",
                    ),
                ),
            ),
        ),
    ),
    (
        "二、城市环境",
        (
            (
                "（一）市容市貌",
                (
                    C(
                        "env_clean",
                        "1.主次干道和背街小巷干净整洁",
                        "城管局",
                        ("住建局",),
                        (F,),
                        ("PT16", "PT17"),
                        "①路面无暴露垃圾、无积存渣土",
                        "②无乱堆乱放",
                        "③无违规晾晒",
                        "④垃圾箱完好、无满溢",
                        score=1.5,
                    ),
                    C(
                        "env_ads",
                        "2.户外广告和小广告治理",
                        "城管局",
                        ("市场监管局",),
                        (F,),
                        ("PT16", "PT17", "PT20"),
                        "①无乱涂乱画、乱贴小广告",
                        "②门头招牌规范整洁",
                        "③无违规条幅横幅",
                    ),
                    C(
                        "env_stall",
                        "3.街面秩序规范",
                        "城管局",
                        ("市场监管局", "公安局"),
                        (F,),
                        ("PT16", "PT17", "PT33", "PT37"),
                        "①无占道经营、店外经营",
                        "②无流动摊贩",
                        "③落实门前三包责任",
                    ),
                    C(
                        "env_fringe",
                        "4.城乡结合部环境整治",
                        "农业农村局",
                        ("城管局", "生态环境局"),
                        (F,),
                        ("PT18",),
                        "①无垃圾乱倒",
                        "②无乱搭乱建",
                        "③道路硬化、路灯完好",
                    ),
                ),
            ),
            (
                "（二）公共设施",
                (
                    C(
                        "fac_toilet",
                        "1.公厕管理规范",
                        "城管局",
                        ("文旅局",),
                        (F,),
                        ("PT25", "PT23", "PT12"),
                        "①公厕干净无异味",
                        "②设施完好、正常使用",
                        "③设置无障碍厕位和标识",
                    ),
                    C(
                        "fac_road",
                        "2.道路及附属设施完好",
                        "住建局",
                        ("城管局", "交警支队"),
                        (F,),
                        ("PT16", "PT17"),
                        "①路面无坑槽、井盖完好",
                        "②路灯正常亮灯",
                        "③盲道连续畅通",
                        "④交通标志标线清晰",
                    ),
                    C(
                        "fac_green",
                        "3.园林绿化管护到位",
                        "城管局",
                        ("自然资源局",),
                        (F,),
                        ("PT23", "PT24", "PT16"),
                        "①绿地无破坏、无毁绿种菜",
                        "②行道树无缺株、无枯死",
                        "③树穴无黄土裸露",
                    ),
                ),
            ),
            (
                "（三）生态环境",
                (
                    C(
                        "eco_air",
                        "1.大气和扬尘治理",
                        "生态环境局",
                        ("住建局", "城管局"),
                        (F, D),
                        ("PT38",),
                        "①施工工地围挡规范、裸土覆盖",
                        "②渣土车密闭运输",
                        "③工地出入口冲洗到位",
                    ),
                    C(
                        "eco_water",
                        "2.水环境治理",
                        "生态环境局",
                        ("水利局", "住建局"),
                        (F, D, M),
                        (),
                        "①建成区无黑臭水体",
                        "②无污水直排",
                        "③河道水面无漂浮物",
                    ),
                    C(
                        "eco_waste",
                        "3.垃圾分类",
                        "城管局",
                        ("住建局", "机关事务中心"),
                        (F, S, M),
                        ("PT20", "PT19"),
                        "①垃圾分类容器配置齐全、标识清晰",
                        "②居民分类投放知晓率达到90%以上",
                        "③分类收运体系完善",
                    ),
                ),
            ),
        ),
    ),
    (
        "三、公共服务",
        (
            (
                "（一）窗口服务",
                (
                    C(
                        "win_info",
                        "1.窗口单位服务规范",
                        "行政审批局",
                        ("人民银行", "工信局"),
                        (F, S),
                        ("PT04", "PT05", "PT06", "PT08"),
                        "①公示服务承诺、办事指南和投诉电话",
                        "②工作人员文明礼貌、佩证上岗",
                        "③设置便民服务设施",
                        "④设置无障碍通道",
                    ),
                    C(
                        "win_market",
                        "2.农贸市场规范管理",
                        "市场监管局",
                        ("城管局", "卫健委"),
                        (F,),
                        ("PT01", "PT02"),
                        "①划行归市、分区经营",
                        "②设置公平秤和商品价格公示",
                        "③地面无积水、无垃圾",
                        "④活禽销售区域隔离、定期消毒",
                        score=1.5,
                    ),
                    C(
                        "win_hotel",
                        "3.宾馆酒店和商场超市服务",
                        "文旅局",
                        ("商务局",),
                        (F,),
                        ("PT03", "PT10"),
                        "①大厅摆放文明宣传资料",
                        "②消防通道畅通",
                        "③公共区域整洁",
                    ),
                ),
            ),
            (
                "（二）交通服务",
                (
                    C(
                        "trans_station",
                        "1.交通场站秩序井然",
                        "交通运输局",
                        ("公安局", "城管局"),
                        (F,),
                        ("PT12", "PT13", "PT14"),
                        "①站内外环境整洁",
                        "②无拉客揽客、无黑车",
                        "③引导标识清晰规范",
                        "④设置母婴室和爱心座椅",
                    ),
                    C(
                        "trans_bus",
                        "2.公交站台整洁规范",
                        "交通运输局",
                        ("城管局",),
                        (F,),
                        ("PT15",),
                        "①站台设施完好",
                        "②站牌信息准确",
                        "③站台公益广告规范",
                    ),
                ),
            ),
            (
                "（三）医疗与社区服务",
                (
                    C(
                        "health",
                        "1.医疗机构服务",
                        "卫健委",
                        ("医保局",),
                        (F, S),
                        ("PT09", "PT40"),
                        "①导诊服务规范",
                        "②院内外环境整洁",
                        "③设置志愿服务岗",
                    ),
                    C(
                        "community",
                        "2.社区综合服务",
                        "民政局",
                        ("住建局", "卫健委"),
                        (F, M),
                        ("PT19", "PT20"),
                        "①社区服务中心场所功能完善",
                        "②小区环境整洁、楼道无堆物",
                        "③建有养老服务站点",
                        "④物业管理规范",
                    ),
                ),
            ),
        ),
    ),
    (
        "四、未成年人思想道德建设",
        (
            (
                None,
                (
                    C(
                        "minor_school",
                        "1.校园及周边环境",
                        "教育局",
                        ("公安局", "市场监管局", "文旅局"),
                        (F, M),
                        ("PT31", "PT32", "PT33"),
                        "①学校周边200米内无网吧、娱乐场所",
                        "②校门口上下学时段秩序良好",
                        "③校园周边无流动摊贩",
                        "④学校设置心理健康辅导室",
                        score=1.5,
                    ),
                    C(
                        "minor_net",
                        "2.网吧管理",
                        "文旅局",
                        ("公安局",),
                        (F,),
                        ("PT34",),
                        "①醒目位置悬挂禁止未成年人进入标识",
                        "②不接纳未成年人上网",
                        "③落实实名登记制度",
                    ),
                    C(
                        "minor_place",
                        "3.未成年人活动场所",
                        "团市委",
                        ("教育局", "文旅局", "妇联"),
                        (F, M),
                        ("PT35", "PT27", "PT29"),
                        "①场所免费向未成年人开放",
                        "②定期开展主题活动",
                        "③设施安全完好",
                    ),
                    C(
                        "minor_moral",
                        "4.学校德育工作",
                        "教育局",
                        ("团市委", "文明办"),
                        (M, ON, S),
                        ("PT31",),
                        "①开展社会主义核心价值观教育",
                        "②建立德育工作台账",
                        "③开展学雷锋志愿服务",
                    ),
                ),
            ),
        ),
    ),
    (
        "五、宣传教育",
        (
            (
                "（一）公益广告",
                (
                    C(
                        "ads_public",
                        "1.公益广告宣传",
                        "文明办",
                        ("城管局", "融媒体中心"),
                        (F,),
                        ("PT39", "PT16", "PT38", "PT15"),
                        "①主次干道公益广告设置规范、数量充足",
                        "②工地围挡公益广告占比达到要求",
                        "③电子屏滚动播放公益广告",
                        "④公益广告内容及时更新、无破损",
                        score=1.5,
                    ),
                    C(
                        "ads_value",
                        "2.核心价值观宣传",
                        "文明办",
                        ("融媒体中心",),
                        (F, ON),
                        ("PT19", "PT23", "PT24"),
                        "①社区、公园设置核心价值观主题宣传",
                        "②设置道德模范、身边好人榜",
                        "③宣传栏内容定期更新",
                    ),
                ),
            ),
            (
                "（二）新时代文明实践",
                (
                    C(
                        "practice",
                        "1.新时代文明实践站建设",
                        "文明办",
                        ("民政局", "团市委"),
                        (F, M, ON),
                        ("PT21",),
                        "①实践站有场所、有队伍、有活动、有制度",
                        "②每月开展志愿服务活动",
                        "③活动记录台账完整",
                    ),
                    C(
                        "volunteer",
                        "2.志愿服务",
                        "团市委",
                        ("文明办", "民政局"),
                        (F, ON, D),
                        ("PT22",),
                        "①志愿服务站点正常运行",
                        "②注册志愿者占常住人口比例达到要求",
                        "③学雷锋志愿服务标识醒目",
                    ),
                ),
            ),
        ),
    ),
    (
        "六、诚信与法治",
        (
            (
                None,
                (
                    C(
                        "credit",
                        "1.诚信建设",
                        "发改委",
                        ("市场监管局", "人民银行"),
                        (M, ON, D),
                        (),
                        "①建立公共信用信息平台",
                        "②开展诚信宣传教育",
                        "③落实失信联合惩戒",
                    ),
                    C(
                        "law",
                        "2.法治宣传",
                        "司法局",
                        ("公安局",),
                        (M, S),
                        ("PT19",),
                        "①社区设置法治宣传栏",
                        "②群众法治知晓率达到要求",
                    ),
                    C(
                        "safety",
                        "3.安全生产与消防",
                        "应急管理局",
                        ("消防救援支队", "住建局"),
                        (F, M),
                        ("PT10", "PT03", "PT11"),
                        "①消防设施完好有效",
                        "②安全出口畅通",
                        "③定期开展安全检查",
                    ),
                ),
            ),
        ),
    ),
    (
        "七、负面清单",
        (
            (
                None,
                (
                    C(
                        "negative",
                        "1.重大负面事件",
                        "创城办",
                        ("公安局", "应急管理局", "市场监管局"),
                        (D, M),
                        (),
                        "①发生重大安全生产责任事故",
                        "②发生重大食品药品安全事件",
                        "③发生严重破坏生态环境事件",
                        "④发生有严重社会影响的不文明事件",
                        score=0,
                        negative=True,
                    ),
                ),
            ),
        ),
    ),
)

PRINCIPAL = "市委副书记、市长"
DEPUTY_BY_LEAD = {
    "交警支队": "副市长、市公安局局长",
    "公安局": "副市长、市公安局局长",
    "文明办": "市委常委、宣传部部长",
    "创城办": "市委常委、宣传部部长",
    "团市委": "市委常委、宣传部部长",
    "教育局": "副市长（分管教育）",
    "文旅局": "副市长（分管文旅）",
}
DEFAULT_DEPUTY = "常务副市长"


# --- Check items per point type -------------------------------------------------------------

P, DED, CNT = "pass_fail", "deduction", "count"


@dataclass(frozen=True)
class ItemSpec:
    text: str
    category: str  # problem category (小类) code
    mode: str = P
    max_score: float = 1.0
    per: float | None = None
    critical: bool = False
    content: str = ""  # Content.key: linked to its first 测评标准
    guidance: str = ""


def Chk(
    text, category, mode=P, max_score=1.0, per=None, critical=False, content="", guidance=""
):  # short constructor for the data table
    return ItemSpec(text, category, mode, max_score, per, critical, content, guidance)


GROUP_ITEMS: dict[str, tuple[ItemSpec, ...]] = {
    "窗口单位": (
        Chk(
            "公示服务承诺、办事指南和投诉电话",
            "1404",
            content="win_info",
            guidance="查看入口或大厅醒目位置",
        ),
        Chk("室内禁烟标识醒目，无吸烟行为和烟头", "1405", critical=True, content="order_smoke"),
        Chk("设置无障碍通道或坡道，完好可用", "1402", content="win_info"),
        Chk("便民服务设施齐全（饮水、老花镜、雨具等）", "1403", content="win_info"),
        Chk(
            "公益广告设置规范、数量不少于3处",
            "1201",
            mode=CNT,
            max_score=2,
            per=0.5,
            content="ads_public",
            guidance="缺少一处扣0.5分",
        ),
        Chk("工作人员文明礼貌、佩证上岗", "1401", content="win_info"),
        Chk("门前三包落实，门前无垃圾杂物", "0411", content="env_stall"),
    ),
    "交通场站": (
        Chk("站内外环境整洁，无暴露垃圾", "1310", content="trans_station"),
        Chk("无拉客揽客、无黑车", "1310", critical=True, content="trans_station"),
        Chk("引导标识清晰规范", "1404", content="trans_station"),
        Chk("公益广告规范、无破损", "0204", content="ads_public"),
        Chk("设置爱心座椅或母婴室", "1403", content="trans_station"),
    ),
    "道路街巷": (
        Chk(
            "路面无暴露垃圾、积存渣土",
            "0101",
            mode=CNT,
            max_score=3,
            per=0.5,
            content="env_clean",
            guidance="每发现一处扣0.5分",
        ),
        Chk("无乱堆乱放、违规晾晒", "0106", content="env_clean"),
        Chk("无乱贴小广告、乱涂乱画", "0202", mode=CNT, max_score=2, per=0.5, content="env_ads"),
        Chk("无占道经营、店外经营", "0401", critical=True, content="env_stall"),
        Chk("机动车、非机动车停放有序", "0404", content="traffic_park"),
        Chk("垃圾箱完好、无满溢", "0806", content="env_clean"),
        Chk("井盖完好、路灯正常", "0801", content="fac_road"),
    ),
    "社区小区": (
        Chk("公共区域环境整洁，无卫生死角", "1105", content="community"),
        Chk("楼道无堆物，消防通道畅通", "1104", critical=True, content="community"),
        Chk("核心价值观宣传和好人榜设置规范", "1206", content="ads_value"),
        Chk("宣传栏内容及时更新", "1208", content="ads_value"),
        Chk("垃圾分类容器配置齐全、标识清晰", "0114", content="eco_waste"),
        Chk("非机动车规范停放、无飞线充电", "0404", content="traffic_park"),
    ),
    "公共场所": (
        Chk("环境整洁，无暴露垃圾", "1308", content="order_behavior"),
        Chk("设施完好，无损坏", "0814", content="fac_green"),
        Chk("无不文明行为（随地吐痰、乱扔杂物）", "0702", content="order_behavior"),
        Chk("核心价值观及公益广告宣传到位", "1201", content="ads_value"),
        Chk("公厕干净无异味", "0807", content="fac_toilet"),
    ),
    "校园及周边": (
        Chk("周边无流动摊贩、占道经营", "1304", content="minor_school"),
        Chk("上下学时段秩序良好、有护学岗", "1304", content="minor_school"),
        Chk("周边200米内无网吧、娱乐场所", "1309", critical=True, content="minor_school"),
        Chk("未成年人思想道德建设宣传到位", "1205", content="minor_moral"),
    ),
    "经营场所": (
        Chk("店内外环境整洁", "0115", content="env_clean"),
        Chk("无出店经营", "0402", content="env_stall"),
        Chk("油烟净化设施正常使用", "1503", content="eco_air"),
        Chk("公益广告或文明提示张贴规范", "1201", content="ads_public"),
    ),
    "宣传阵地": (
        Chk("公益广告内容为当前主题", "1202", content="ads_public"),
        Chk("公益广告无破损、无褪色", "0204", content="ads_public"),
        Chk("设置数量达到要求", "1201", mode=CNT, max_score=3, per=1, content="ads_public"),
        Chk("设置位置醒目、无遮挡", "1201", content="ads_public"),
        Chk("无违规户外广告混设", "0201", content="env_ads"),
    ),
}

TYPE_ITEMS: dict[str, tuple[ItemSpec, ...]] = {
    "PT01": (
        Chk("划行归市、分区经营", "1301", content="win_market"),
        Chk("设置公平秤，商品明码标价", "1302", critical=True, content="win_market"),
        Chk(
            "地面无积水、无垃圾",
            "1301",
            mode=DED,
            max_score=3,
            content="win_market",
            guidance="按脏乱程度扣0.5—3分",
        ),
        Chk("活禽区域隔离、定期消毒", "1301", content="win_market"),
    ),
    "PT02": (
        Chk("摊位摆放整齐、不出线", "1301", content="win_market"),
        Chk("设置公平秤", "1302", content="win_market"),
        Chk("收市后及时清扫", "0101", content="win_market"),
    ),
    "PT03": (Chk("消防通道畅通、安全出口标识完好", "0605", critical=True, content="safety"),),
    "PT04": (
        Chk("设置一米线，排队有序", "1406", content="order_queue"),
        Chk("配备爱心窗口或绿色通道", "1406", content="win_info"),
    ),
    "PT05": (Chk("设置一米线，排队有序", "1401", content="order_queue"),),
    "PT06": (Chk("营业时间公示准确", "1404", content="win_info"),),
    "PT07": (
        Chk("快件不占道分拣", "0401", critical=True, content="env_stall"),
        Chk("门前车辆停放有序", "0404", content="traffic_park"),
    ),
    "PT08": (
        Chk("设置一米线和叫号系统", "1401", content="order_queue"),
        Chk("设置帮办代办窗口", "1403", content="win_info"),
    ),
    "PT09": (
        Chk("导诊服务规范", "1311", content="health"),
        Chk("院内车辆停放有序", "1311", content="health"),
        Chk("设置志愿服务岗", "1203", content="health"),
    ),
    "PT10": (
        Chk("大厅摆放文明宣传资料", "1201", content="win_hotel"),
        Chk("消防设施完好有效", "0605", critical=True, content="safety"),
    ),
    "PT11": (Chk("加油区严禁烟火标识醒目", "0605", critical=True, content="safety"),),
    "PT12": (Chk("站前广场无乱停车", "0405", content="trans_station"),),
    "PT13": (Chk("售票厅排队有序", "1310", content="order_queue"),),
    "PT14": (Chk("车辆进出站有序", "1310", content="trans_station"),),
    "PT15": (
        Chk("站台设施完好", "0907", content="trans_bus"),
        Chk("站牌信息准确", "0907", content="trans_bus"),
        Chk("站台无小广告", "0202", mode=CNT, max_score=2, per=0.5, content="trans_bus"),
    ),
    "PT16": (
        Chk("斑马线清晰、机动车礼让行人", "0503", content="traffic_yield"),
        Chk("交通信号灯正常", "0901", content="fac_road"),
        Chk("绿化带无缺株、无黄土裸露", "1007", content="fac_green"),
    ),
    "PT17": (
        Chk("路面平整、无坑槽", "0904", content="fac_road"),
        Chk("无架空线缆杂乱", "0811", content="fac_road"),
    ),
    "PT18": (
        Chk("无垃圾乱倒", "1305", critical=True, content="env_fringe"),
        Chk("无乱搭乱建", "0406", content="env_fringe"),
        Chk("道路硬化、路灯完好", "0803", content="env_fringe"),
    ),
    "PT19": (
        Chk("社区服务中心功能完善", "1403", content="community"),
        Chk("设置法治宣传栏", "1208", content="law"),
    ),
    "PT20": (
        Chk("物业公示信息齐全", "1404", content="community"),
        Chk("小区绿化无毁绿种菜", "1009", content="fac_green"),
    ),
    "PT21": (
        Chk("有场所、有队伍、有活动、有制度", "1204", critical=True, content="practice"),
        Chk("活动记录台账完整", "1204", content="practice"),
        Chk("本月开展志愿服务活动", "1204", content="practice"),
    ),
    "PT22": (
        Chk("志愿服务站点有人值守", "1203", critical=True, content="volunteer"),
        Chk("学雷锋志愿服务标识醒目", "1209", content="volunteer"),
    ),
    "PT23": (
        Chk("绿地无破坏", "1001", content="fac_green"),
        Chk("文明养犬提示设置到位", "0704", content="order_behavior"),
    ),
    "PT24": (Chk("广场舞音量控制、无扰民", "0705", content="order_behavior"),),
    "PT25": (
        Chk("公厕干净无异味、无积水", "0807", critical=True, content="fac_toilet"),
        Chk("洗手池、便器、照明等设施完好", "0808", content="fac_toilet"),
        Chk("设置无障碍厕位", "1402", content="fac_toilet"),
        Chk("开放时间公示", "1404", content="fac_toilet"),
    ),
    "PT26": (
        Chk("景区设置文明旅游提示", "1201", content="tour"),
        Chk("旅游厕所干净整洁", "0807", content="tour"),
        Chk("游客服务中心功能完善", "1403", content="tour"),
    ),
    "PT27": (
        Chk("免费向未成年人开放", "1205", content="minor_place"),
        Chk("阅览区安静有序", "0705", content="minor_place"),
    ),
    "PT28": (Chk("讲解服务规范", "1401", content="minor_place"),),
    "PT29": (Chk("定期开展公益文化活动", "1205", content="minor_place"),),
    "PT30": (Chk("健身器材完好", "0814", content="fac_green"),),
    "PT31": (
        Chk("开展社会主义核心价值观教育", "1205", content="minor_moral"),
        Chk("设置心理健康辅导室", "1205", content="minor_school"),
    ),
    "PT32": (Chk("园门口接送秩序良好", "1304", content="minor_school"),),
    "PT33": (Chk("周边无违规销售玩具食品", "1304", content="minor_school"),),
    "PT34": (
        Chk("悬挂禁止未成年人进入标识", "1309", content="minor_net"),
        Chk("不接纳未成年人上网", "1309", critical=True, content="minor_net"),
        Chk("落实实名登记", "1309", content="minor_net"),
    ),
    "PT35": (
        Chk("场所免费开放", "1205", content="minor_place"),
        Chk("设施安全完好", "1205", critical=True, content="minor_place"),
    ),
    "PT36": (
        Chk("后厨卫生整洁、生熟分开", "0115", content="env_clean"),
        Chk("公筷公勺、文明用餐提示", "1201", content="ads_public"),
    ),
    "PT37": (
        Chk("集中区无露天烧烤", "0110", critical=True, content="env_stall"),
        Chk("餐厨垃圾规范收运", "0111", content="eco_waste"),
    ),
    "PT38": (
        Chk("围挡连续、规范", "0305", content="eco_air"),
        Chk("裸土覆盖、洒水降尘", "0302", critical=True, content="eco_air"),
        Chk("出入口冲洗到位", "0308", content="eco_air"),
        Chk("围挡公益广告占比达到要求", "0309", content="ads_public"),
    ),
    "PT39": (Chk("电子屏播放公益广告", "0208", content="ads_public"),),
    "PT40": (
        Chk("健康教育宣传到位", "1201", content="health"),
        Chk("家庭医生签约服务公示", "1404", content="health"),
    ),
}
