"""Synthetic Chinese names for the demo city: common surnames and given-name characters drawn from a
seeded generator. Any likeness to a real person is chance; every page of a demo says it is synthetic."""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严武戴莫孔汤岑诸楼施"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国文斌宇浩凯俊鑫晨欣悦怡婷雪琳"
    "梅丹佳颖慧倩雯晶峰波辉鹏飞志海亮成瑞博彬晖嘉琪子涵雨轩思远一鸣若曦梓萱浩然宏达立新永春秋菊"
    "荣昌德兴云志远"
)
PLACE = (
    "东南西北上下前后新老大小长青白石桥河湖山岭溪塘岙浦湾港泾墩庄堰坝林竹梅桃李枫杏松柏金银"
    "丰安宁和平兴华明光富康乐福寿嘉庆瑞祥云凤龙鹤鹿泉潭滨江海"
)


def person(rng: random.Random) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def place(rng: random.Random, used: set[str]) -> str:
    """A two-character place name not used yet."""
    while True:
        name = rng.choice(PLACE) + rng.choice(PLACE)
        if name[0] != name[1] and name not in used:
            used.add(name)
            return name
