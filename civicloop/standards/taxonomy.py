"""The default problem-category taxonomy (问题分类) and its idempotent loader.

Modelled on the digital urban management standard (GB/T 30428.2 / CJ/T 214: 事件 and 部件
大类/小类), extended with the categories a civilised-city campaign (创建文明城市) inspects:
publicity positions, key places, window services, civilised behaviour.

Codes are stable identifiers: 大类 "01", "02"…, 小类 = 大类 code + two digits ("0101").
They are numbered by position in the lists below, so **append new entries at the end of a
list; never reorder or delete** (mark obsolete ones inactive in the admin instead).

Each 小类 carries a deadline policy (amount + unit) and a closing condition (结案条件).
Urgent, safety-related or highly visible problems count working hours (暴露垃圾 2 工作时,
井盖丢失 4 工作时); repairs count working days; planting and large works count calendar days.
The department key (e.g. "城管局") names the usual responsible department; the loader
turns it into `default_unit` through an optional lookup, so the taxonomy does not depend
on a particular city's unit registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from civicloop.core import audit
from civicloop.standards.models import Category, CategoryKind, DeadlineUnit

H = DeadlineUnit.WORKING_HOURS
D = DeadlineUnit.WORKING_DAYS
C = DeadlineUnit.CALENDAR_DAYS
EVENT = CategoryKind.EVENT
COMPONENT = CategoryKind.COMPONENT

PHOTO = "上传整改后同角度照片"


@dataclass(frozen=True)
class SubSpec:
    name: str
    amount: int
    unit: str
    closing: str
    dept: str | None = None  # overrides the major category's department


@dataclass(frozen=True)
class MajorSpec:
    name: str
    kind: str
    dept: str
    subs: tuple[SubSpec, ...]


def S(name: str, amount: int, unit: str, closing: str, dept: str | None = None) -> SubSpec:
    return SubSpec(name, amount, unit, f"{closing}，{PHOTO}。", dept)


DEFAULT_TAXONOMY: tuple[MajorSpec, ...] = (
    MajorSpec(
        "市容环境",
        EVENT,
        "城管局",
        (
            S("暴露垃圾", 2, H, "垃圾清运干净，现场无残留、无异味"),
            S("积存垃圾渣土", 1, D, "积存垃圾渣土全部清运，地面清扫干净"),
            S("道路不洁", 2, H, "路面、人行道及路沿石无垃圾杂物、无明显污渍"),
            S("水域不洁", 1, D, "水面无漂浮垃圾和油污，岸坡无杂物", "水利局"),
            S("绿地脏乱", 4, H, "绿地内垃圾、杂物清理干净"),
            S("乱堆物堆料", 1, D, "堆物堆料清除或规范码放，恢复通行"),
            S("焚烧垃圾树叶", 2, H, "明火熄灭、残留物清理干净，对当事人进行教育或处罚"),
            S("违规晾晒", 4, H, "晾晒物撤除，对当事人劝导教育"),
            S("乱涂乱画小广告", 1, D, "涂写、张贴内容清除干净，墙面、设施恢复原貌"),
            S("露天烧烤", 2, H, "烧烤设施撤离，地面油污清理干净"),
            S("餐厨垃圾乱倒", 4, H, "餐厨垃圾清运，地面冲洗干净，督促商户规范收运"),
            S("车辆抛洒滴漏", 4, H, "抛洒物清理干净，查处责任车辆"),
            S("动物尸体", 2, H, "动物尸体无害化处理，现场消杀"),
            S("垃圾分类不规范", 3, D, "分类容器配置齐全、标识清晰，混投混运现象纠正", "住建局"),
            S("沿街门店卫生差", 1, D, "门店及门前区域整洁，落实门前三包"),
        ),
    ),
    MajorSpec(
        "宣传广告",
        EVENT,
        "城管局",
        (
            S("违规户外广告", 5, D, "违规广告设施拆除，现场恢复原状"),
            S("非法小广告", 1, D, "小广告清除干净，墙面恢复原貌"),
            S("占道宣传", 4, H, "宣传台、展板等撤离，恢复道路通行"),
            S("公益广告破损", 3, D, "破损公益广告修复或更换，画面完整清晰", "文明办"),
            S("广告牌匾破损", 3, D, "牌匾修复或拆除，无缺字、无安全隐患"),
            S("条幅横幅乱挂", 1, D, "违规条幅横幅全部摘除"),
            S("门头招牌不规范", 10, D, "门头招牌按规划要求规范设置，一店一招"),
            S("电子屏内容不当", 4, H, "不当内容下线，按要求播放公益内容", "文明办"),
        ),
    ),
    MajorSpec(
        "施工管理",
        EVENT,
        "住建局",
        (
            S("施工扰民", 1, D, "夜间违规施工停止，施工时间符合规定"),
            S("工地扬尘", 4, H, "裸土覆盖、洒水降尘到位，现场无明显扬尘"),
            S("施工废弃料", 1, D, "建筑垃圾、废弃料清运或规范堆放"),
            S("道路破损开挖", 3, D, "私挖乱掘停止，路面按原标准恢复", "城管局"),
            S("施工围挡不规范", 3, D, "围挡连续、牢固、整洁，高度符合要求"),
            S("施工占道", 1, D, "占道施工办理手续或退回围挡范围内", "城管局"),
            S("渣土车未密闭", 4, H, "车辆密闭运输，查处违规车辆", "城管局"),
            S("工地出入口未冲洗", 4, H, "出入口冲洗设施正常使用，车辆净车出场"),
            S("工地围挡公益广告缺失", 5, D, "围挡按比例设置公益广告，画面完整"),
        ),
    ),
    MajorSpec(
        "街面秩序",
        EVENT,
        "城管局",
        (
            S("占道经营", 2, H, "占道摊点撤离，道路恢复通行"),
            S("店外经营", 2, H, "出店经营物品收回店内，门前整洁"),
            S("流动摊贩", 2, H, "流动摊贩劝离或引导入规定区域经营"),
            S("乱停放非机动车", 4, H, "非机动车规范停放在划定区域内"),
            S("机动车乱停", 4, H, "违停车辆驶离或依法处理", "交警支队"),
            S("违规搭建", 10, D, "违规搭建物拆除，场地恢复原状"),
            S("共享单车乱停放", 4, H, "共享单车清理归位，超量投放车辆回收", "交通运输局"),
            S("占道洗车修车", 2, H, "占道洗车、修车行为制止，地面清理干净"),
            S("沿街乞讨卖艺", 1, D, "劝离或救助安置，现场秩序正常", "民政局"),
            S("夜市管理不规范", 1, D, "按规定时间、区域经营，收市后场地清扫干净"),
            S("门前三包不落实", 1, D, "签订门前三包责任书并落实，门前整洁有序"),
        ),
    ),
    MajorSpec(
        "交通秩序",
        EVENT,
        "交警支队",
        (
            S("行人闯红灯", 1, D, "路口落实交通劝导员或文明志愿者劝导，复查无闯红灯现象"),
            S("非机动车逆行", 1, D, "加强路段管控劝导，复查无逆行现象"),
            S("机动车不礼让斑马线", 1, D, "路口加强执法与提示，复查礼让到位"),
            S("非机动车闯红灯", 1, D, "路口落实劝导，复查无闯红灯现象"),
            S("电动车驾乘未戴头盔", 3, D, "开展劝导整治，复查佩戴率明显提升"),
            S("行人跨越护栏", 1, D, "设置提示并加强劝导，复查无跨越现象"),
            S("出租车乱停拒载", 3, D, "查处违规车辆和驾驶员，站点秩序规范", "交通运输局"),
        ),
    ),
    MajorSpec(
        "突发事件",
        EVENT,
        "应急管理局",
        (
            S("道路积水", 2, H, "积水排除，排水设施畅通", "城管局"),
            S("路面塌陷", 2, H, "现场设置警示围挡，塌陷修复完成", "住建局"),
            S("供水管道破裂", 2, H, "关阀止水，管道修复，恢复供水", "住建局"),
            S("燃气泄漏", 1, H, "切断气源、排除险情，管线修复并检测合格", "住建局"),
            S("消防安全隐患", 4, H, "隐患消除，消防通道畅通", "消防救援支队"),
            S("下水道堵塞冒溢", 4, H, "管道疏通，冒溢污水清理消杀", "城管局"),
            S("道路结冰积雪", 4, H, "积雪清除、冰面撒布融雪材料，道路通行安全", "城管局"),
        ),
    ),
    MajorSpec(
        "文明行为",
        EVENT,
        "文明办",
        (
            S("随地吐痰便溺", 1, D, "设置文明提示，加强巡查劝导"),
            S("乱扔杂物", 1, D, "现场清理，设置文明提示并加强劝导"),
            S("公共场所吸烟", 1, D, "禁烟标识齐全，落实控烟劝导", "卫健委"),
            S("不文明养犬", 1, D, "劝导犬主文明养犬，依法查处违规行为", "公安局"),
            S("公共场所喧哗扰民", 1, D, "劝导制止，活动时间、音量符合规定", "公安局"),
        ),
    ),
    MajorSpec(
        "公用设施",
        COMPONENT,
        "城管局",
        (
            S("井盖破损丢失", 4, H, "井盖补齐或更换，安装平稳牢固，处置前设置警示"),
            S("井盖移位异响", 1, D, "井盖复位、加固，无异响"),
            S("路灯不亮", 2, D, "路灯修复，夜间正常亮灯"),
            S("路灯杆破损", 3, D, "灯杆修复或更换，无倾斜、无漏电隐患"),
            S("垃圾箱破损", 3, D, "垃圾箱修复或更换，外观完好"),
            S("垃圾箱满溢", 2, H, "垃圾清运，箱体及周边清洁"),
            S("公厕不洁", 2, H, "公厕保洁到位，无异味、无积水、无污渍"),
            S("公厕设施损坏", 2, D, "洗手池、便器、照明等设施修复，正常开放"),
            S("消防栓损坏缺失", 2, D, "消防栓修复或补齐，出水正常", "消防救援支队"),
            S("电力设施破损", 2, D, "电杆、箱变等设施修复，无安全隐患", "供电公司"),
            S("架空线缆杂乱", 10, D, "线缆梳理规整或入地，废弃线缆拆除", "工信局"),
            S("雨水篦子破损", 1, D, "雨水篦子修复或更换，安装平稳"),
            S("邮筒报刊亭破损", 5, D, "设施修复，外观整洁", "邮政管理局"),
            S("健身器材损坏", 5, D, "器材修复或更换，可安全使用", "体育局"),
            S("休闲座椅损坏", 5, D, "座椅修复或更换"),
            S("交通护栏破损", 3, D, "护栏修复或更换，连续完整", "交警支队"),
        ),
    ),
    MajorSpec(
        "道路交通",
        COMPONENT,
        "交警支队",
        (
            S("交通信号灯故障", 4, H, "信号灯修复，配时正常"),
            S("斑马线不清", 10, D, "斑马线重新施划，清晰醒目"),
            S("交通标志牌破损", 5, D, "标志牌修复或更换，内容正确、清晰"),
            S("道路坑槽破损", 3, D, "坑槽修补，路面平整", "住建局"),
            S("人行道板破损", 3, D, "人行道板修复，平整无松动", "城管局"),
            S("盲道被占或破损", 3, D, "盲道畅通、连续，破损处修复", "城管局"),
            S("公交站台破损", 5, D, "站台、站牌修复，信息准确", "交通运输局"),
            S("隔离墩路桩缺损", 3, D, "隔离墩、路桩补齐或更换"),
            S("停车泊位标线不清", 10, D, "泊位标线重新施划"),
            S("电子监控设备损坏", 5, D, "监控设备修复，正常运行", "公安局"),
            S("路名牌破损", 5, D, "路名牌修复或更换，标注规范", "民政局"),
        ),
    ),
    MajorSpec(
        "园林绿化",
        COMPONENT,
        "城管局",
        (
            S("绿地破坏", 3, D, "被破坏绿地补植恢复"),
            S("行道树缺株", 15, C, "缺株补植，规格与原树种一致"),
            S("树木倒伏", 4, H, "倒伏树木扶正加固或清除，道路恢复通行"),
            S("树木枯死", 10, D, "枯死树木清除并补植"),
            S("绿篱缺损", 10, D, "绿篱补植，修剪整齐"),
            S("花坛花箱破损", 5, D, "花坛花箱修复，花卉补栽"),
            S("树穴黄土裸露", 10, D, "树穴覆盖或种植地被"),
            S("古树名木受损", 2, D, "采取保护复壮措施，查处损害行为", "自然资源局"),
            S("毁绿种菜", 5, D, "菜地清除，恢复绿化"),
        ),
    ),
    MajorSpec(
        "房屋建筑",
        COMPONENT,
        "住建局",
        (
            S("外立面破损脱落", 1, D, "排除坠落隐患，外立面修复"),
            S("外立面污损", 10, D, "外立面清洗或粉刷，整洁美观"),
            S("防盗窗空调架锈蚀", 10, D, "锈蚀构件更换或除锈，安装牢固"),
            S("楼道堆物", 2, D, "楼道杂物清理，消防通道畅通"),
            S("小区环境脏乱", 2, D, "小区公共区域整洁，物业保洁到位"),
        ),
    ),
    MajorSpec(
        "文明创建阵地",
        EVENT,
        "文明办",
        (
            S("公益广告不足", 7, C, "按标准补齐讲文明树新风等主题公益广告，张贴醒目、内容规范"),
            S("公益广告内容过期", 5, D, "更换为当前主题公益广告"),
            S("志愿服务站未正常运行", 5, D, "志愿服务站有人值守、标识醒目、服务台账完整", "团市委"),
            S("新时代文明实践站活动不规范", 10, D, "实践站制度上墙，活动常态开展、记录完整"),
            S(
                "未成年人思想道德建设阵地不达标",
                10,
                D,
                "阵地设施、制度、活动达标，有专人管理",
                "教育局",
            ),
            S("核心价值观宣传缺失", 7, C, "社会主义核心价值观宣传品设置到位、醒目规范"),
            S("道德模范好人榜缺失", 10, D, "设置道德模范、身边好人宣传栏并及时更新"),
            S("社区宣传栏未更新", 5, D, "宣传栏内容更新为当期内容", "民政局"),
            S("学雷锋志愿服务标识缺失", 5, D, "学雷锋志愿服务站（岗）标识齐全", "团市委"),
        ),
    ),
    MajorSpec(
        "重点场所环境秩序",
        EVENT,
        "文明办",
        (
            S(
                "农贸市场环境",
                1,
                D,
                "市场内外环境整洁，划行归市，摊位整齐，无占道经营",
                "市场监管局",
            ),
            S("农贸市场设施不达标", 5, D, "公平秤、公示牌、消杀设施配置齐全", "市场监管局"),
            S("背街小巷环境", 1, D, "路面干净，无乱堆乱放、乱贴乱画、乱拉乱挂", "城管局"),
            S(
                "校园周边秩序",
                1,
                D,
                "校园周边无流动摊贩、无经营性网吧，上下学时段护学岗在岗",
                "教育局",
            ),
            S("城乡结合部环境", 5, D, "无垃圾乱倒、无乱搭乱建，村容整洁", "农业农村局"),
            S("餐饮集中区环境", 1, D, "无出店经营，油烟净化正常，餐厨垃圾规范收运", "市场监管局"),
            S("商场超市秩序", 3, D, "购物环境整洁，公示信息齐全，服务规范", "商务局"),
            S("公园广场环境", 1, D, "环境整洁，设施完好，无不文明行为", "城管局"),
            S("网吧接纳未成年人", 1, D, "依法查处，落实未成年人禁入提示和实名登记", "文旅局"),
            S("交通场站秩序", 1, D, "站内外环境整洁，无拉客揽客，候车秩序良好", "交通运输局"),
            S("医院环境秩序", 3, D, "院内外环境整洁，导诊服务规范，无号贩子", "卫健委"),
        ),
    ),
    MajorSpec(
        "窗口服务",
        EVENT,
        "行政审批局",
        (
            S("服务态度不佳", 3, D, "核实情况并对责任人批评教育，服务规范上墙"),
            S("无障碍设施缺失", 10, D, "无障碍通道、扶手、卫生间等设施配置到位", "住建局"),
            S("便民设施缺失", 5, D, "饮水、老花镜、雨具、轮椅等便民设施配齐"),
            S("公示信息不全", 3, D, "办事指南、收费标准、投诉电话公示齐全"),
            S("禁烟标识缺失", 3, D, "禁烟标识张贴醒目，无吸烟现象", "卫健委"),
            S("银行网点服务不规范", 3, D, "服务设施、公示信息、文明用语规范到位", "人民银行"),
        ),
    ),
    MajorSpec(
        "生态环境",
        EVENT,
        "生态环境局",
        (
            S("黑臭水体", 30, C, "截污治污完成，水体无黑臭", "水利局"),
            S("污水直排", 5, D, "直排口封堵或接入管网"),
            S("餐饮油烟扰民", 5, D, "安装并正常使用油烟净化设施，油烟达标排放"),
            S("露天焚烧秸秆", 2, H, "明火熄灭，对责任人教育处罚", "农业农村局"),
            S("裸土未覆盖", 3, D, "裸露土地覆盖或绿化"),
            S("噪声扰民", 1, D, "噪声源整改，排放符合标准"),
        ),
    ),
)

UnitLookup = Callable[[str], Any] | Mapping[str, Any] | None


def iter_default_rows() -> list[dict]:
    """Flatten the taxonomy into category rows (parents before children), codes assigned."""
    rows: list[dict] = []
    for i, major in enumerate(DEFAULT_TAXONOMY, start=1):
        code = f"{i:02d}"
        rows.append(
            {
                "code": code,
                "name": major.name,
                "parent_code": None,
                "kind": major.kind,
                # A 大类 is not dispatched itself; it carries the slowest common policy.
                "deadline_amount": 3,
                "deadline_unit": D,
                "closing_condition": "",
                "dept": major.dept,
                "sort_order": i * 100,
            }
        )
        for j, sub in enumerate(major.subs, start=1):
            rows.append(
                {
                    "code": f"{code}{j:02d}",
                    "name": sub.name,
                    "parent_code": code,
                    "kind": major.kind,
                    "deadline_amount": sub.amount,
                    "deadline_unit": sub.unit,
                    "closing_condition": sub.closing,
                    "dept": sub.dept or major.dept,
                    "sort_order": i * 100 + j,
                }
            )
    return rows


def _resolver(unit_lookup: UnitLookup) -> Callable[[str], Any]:
    if unit_lookup is None:
        return lambda key: None
    if isinstance(unit_lookup, Mapping):
        return unit_lookup.get
    return unit_lookup


_FIELDS = ("name", "kind", "deadline_amount", "deadline_unit", "closing_condition", "sort_order")


@transaction.atomic
def load_default_categories(unit_lookup: UnitLookup = None, *, overwrite: bool = True) -> int:
    """Upsert the default taxonomy by code. Returns how many rows were created or changed.

    `unit_lookup` maps a department key ("城管局") to a Unit (a mapping or a callable); when
    it returns a unit, `default_unit` is set, otherwise an existing choice is left alone.
    With `overwrite=False` existing categories are not touched (an administrator may have
    tuned deadlines); only missing ones are created. A second run changes nothing and
    returns 0.
    """
    resolve = _resolver(unit_lookup)
    rows = iter_default_rows()
    existing = {c.code: c for c in Category.objects.filter(code__in=[r["code"] for r in rows])}
    created = updated = 0
    for row in rows:  # parents come first, so their pks exist when children are written
        parent = existing.get(row["parent_code"]) if row["parent_code"] else None
        unit = resolve(row["dept"])
        obj = existing.get(row["code"])
        if obj is None:
            obj = Category(code=row["code"], parent=parent, default_unit=unit)
            for field in _FIELDS:
                setattr(obj, field, row[field])
            obj.save()
            existing[obj.code] = obj
            created += 1
            continue
        if not overwrite:
            continue
        changed = [f for f in _FIELDS if getattr(obj, f) != row[f]]
        for field in changed:
            setattr(obj, field, row[field])
        if obj.parent_id != (parent.pk if parent else None):
            obj.parent = parent
            changed.append("parent")
        if unit is not None and obj.default_unit_id != unit.pk:
            obj.default_unit = unit
            changed.append("default_unit")
        if changed:
            obj.save(update_fields=[*changed, "updated_at"])
            updated += 1
    if created or updated:
        audit.record(
            None,
            "category.load_defaults",
            object_type="standards.category",
            summary=f"导入默认问题分类：新增 {created} 个，更新 {updated} 个",
            data={"created": created, "updated": updated},
        )
    return created + updated
