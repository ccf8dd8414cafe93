"""What a comment asks for, in Chinese and English: keyword and pattern rules, no model.

Live chat is short and formulaic ("多少钱", "几块", "还有货吗", "包邮吗", "拍了", "how much", "in stock?"),
so rules are fast, predictable and easy for a merchant to reason about. Chinese rules read the ``compact``
form (no spaces or punctuation: "多 少 钱" is "多少钱"); English rules read ``text`` with word boundaries.

When a comment matches several intents, the first in :data:`PRECEDENCE` wins: a complaint outranks
everything (an angry buyer must not get a sales pitch), then the catalog facts viewers wait for (price,
stock, promotion, shipping), then detail questions, then purchase signals, greetings and chit-chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from hub.claims import CONFIRMATION_EN, CONFIRMATION_ZH, claim_kind
from plugins.triage.normalize import NormalizedText

__all__ = ["Intent", "IntentResult", "detect_intent", "ANSWERABLE", "PRODUCT_INTENTS", "PRECEDENCE"]


class Intent(StrEnum):
    PRICE = "price"
    STOCK = "stock"
    SPEC = "spec"  # size, dimensions, material, colour, suitability
    SHIPPING = "shipping"
    PROMOTION = "promotion"
    PURCHASE = "purchase"  # "how do I buy", "拍了", "扣1"
    GREETING = "greeting"
    COMPLAINT = "complaint"
    CHIT_CHAT = "chitchat"
    OTHER = "other"


ANSWERABLE = frozenset({Intent.PRICE, Intent.STOCK, Intent.SHIPPING, Intent.PROMOTION})
"""Intents the catalog answers with a figure (and the replay's correctness check measures)."""

PRODUCT_INTENTS = frozenset({Intent.PRICE, Intent.STOCK, Intent.SPEC, Intent.PROMOTION, Intent.PURCHASE})
"""Intents about one product: without a product reference they mean the product on stage."""

PRECEDENCE = (Intent.COMPLAINT, Intent.PRICE, Intent.STOCK, Intent.PROMOTION, Intent.SHIPPING, Intent.SPEC,
              Intent.PURCHASE, Intent.GREETING, Intent.CHIT_CHAT)

_ZH: dict[Intent, str] = {
    Intent.COMPLAINT: r"退货|退款|退钱|差评|质量差|质量不好|太差|很差|真差|差劲|坏了|破了|破损|漏液|不发货|还没发货|还没到|没收到|骗子|骗人|投诉|"
                      r"客服不回|假货|是假的|太慢了|发错|少发|漏发|掉色|起球|过敏|维权|垃圾|上当|不满意",
    Intent.PRICE: r"多少钱|多少米|多钱|什么价|啥价|价格|价钱|价位|售价|几块|几元|几毛|多少一(件|个|瓶|盒|套|斤|条|双|支|包)|"
                  r"怎么卖|咋卖|贵不贵|贵吗|贵不|最低价|全网最低|最便宜|报价",
    Intent.STOCK: r"还有货|有货|没货|有库存|库存|断货|缺货|现货|卖完|售罄|抢完|抢光|还有吗|还有没有|还有么|还剩|剩多少|剩几|"
                  r"补货|有没有货|还能买|还能拍|能拍吗|还有多少|还有[a-z0-9]{1,4}码?(的)?(吗|么|没)",
    Intent.PROMOTION: r"优惠|便宜点|便宜些|便宜一点|能便宜|便宜吗|打折|折扣|几折|领券|有券|优惠券|满减|活动|赠品|送什么|有赠|有送|"
                      r"秒杀|福利|降价|能少|少点|团购|买一送一|第二件|半价|返现|红包|抽奖|满\d+减|包邮价",
    Intent.SHIPPING: r"包邮|运费|邮费|快递|发货|几天到|多久到|多久能到|几天能到|什么时候发|什么时候到|啥时候发|啥时候到|顺丰|"
                     r"物流|到货|配送|送到|偏远|新疆|西藏|海外|国外|香港|台湾|寄到|发哪|从哪发",
    Intent.SPEC: r"尺码|尺寸|码数|多大|大小|几码|什么码|均码|多重|重量|多长|多宽|多高|容量|毫升|多少克|几克|材质|面料|成分|"
                 r"配料|规格|颜色|什么色|几种色|适合|身高|体重|能穿|合适|偏大|偏小|保质期|产地|功效|怎么用|用法|防水|"
                 r"质量怎么样|好用吗|好不好用|效果|\d+(斤|kg|cm|码)|[xsml]{1,3}码|xl|xxl",
    Intent.PURCHASE: r"怎么买|咋买|怎么下单|怎么拍|在哪买|哪里买|在哪拍|拍了|已拍|拍下|下单了|已下单|买了|已买|要了|我要|想要|"
                     r"要一|入手|冲了|冲冲|上车|链接在哪|哪个链接|付款|已付|付了|扣1|^1$|加购|购物车|要两|来一|来两",
    Intent.GREETING: r"主播好|主播晚上好|大家好|你好|您好|晚上好|早上好|下午好|中午好|哈喽|嗨|我来了|来了|报到|打卡|新人|"
                     r"第一次来|刚来",
    Intent.CHIT_CHAT: r"哈哈|嘿嘿|呵呵|666|好看|真好|漂亮|好美|帅|加油|厉害|喜欢|爱了|绝了|牛|赞|支持|笑死|可爱|好听|辛苦|谢谢|"
                      r"感谢|吃饭|累不累|几点下播|在哪里|哪里人",
}

_EN: dict[Intent, str] = {
    Intent.COMPLAINT: r"refund|return(ed|ing)?\b|broken|damaged|fake|scam|never (arrived|came)|not received|"
                      r"haven'?t received|complain|terrible|worst|defective|wrong (item|size sent)|rip ?off|"
                      r"nothing (has )?(arrived|came|come)|(hasn'?t|has not|didn'?t|did not|still (hasn'?t|not)|"
                      r"not yet|never) (arrived|come|came|shipped|been shipped|got here)|not (arrived|here) yet|"
                      r"where('?s| is) my (order|package|parcel|stuff)|my order (is )?(late|missing|lost)|"
                      r"(order|package|parcel) status|track(ing)? my (order|package|parcel)|still waiting for my",
    Intent.PRICE: r"how much|price|pricing|cost|what'?s it go for|cheapest",
    Intent.STOCK: r"in stock|stock|sold out|available|any left|still (have|got)|out of stock|restock|"
                  r"how many left|\bleft\?",
    Intent.PROMOTION: r"discount|coupon|deal|promo|cheaper|\bsale\b|offer|\d+ ?% off|\boff\?|bogo|free gift|"
                      r"bundle|voucher|giveaway",
    Intent.SHIPPING: r"\bship|shipping|delivery|deliver|postage|arrive|how long (will|does|to) .*(take|get)|"
                     r"international|tracking|courier",
    Intent.SPEC: r"\bsizes?\b|\bfits?\b|dimension|how big|how large|weight|weigh|material|fabric|colou?rs?\b|"
                 r"\bspecs?\b|capacity|ingredients|waterproof|length|width|made of|suitable|\bxs\b|\bxl\b",
    Intent.PURCHASE: r"how (do|can) i (buy|order|get)|where (to|can i|do i) buy|\bordered\b|\bbought\b|"
                     r"i'?ll take|\bi want\b|want one|add(ed)? to cart|purchased|checkout|how to order|\bbuy\b",
    Intent.GREETING: r"^(hello|hi|hey|hiya|yo)\b|good (morning|evening|afternoon)|greetings|what'?s up|\bsup\b|"
                     r"i'?m here|first time here|hello everyone|hi everyone",
    Intent.CHIT_CHAT: r"\blol\b|haha|\bnice\b|\bcool\b|\bwow\b|\blove\b|beautiful|awesome|\bgreat\b|amazing|"
                      r"\bcute\b|thanks|thank you|good job|\bomg\b|where are you from",
}

# A question about the returns policy is no complaint: "can I return it if it doesn't fit?" wants the policy
# (answered with the shop's shipping and returns text); "I want to return it, it's broken" is a complaint.
_RETURNS_QUESTION_ZH = re.compile(r"(能|可以|可不可以|能不能|支持|包)(退|退货|退换|换货|换)(吗|么|嘛|不|吧)?|七天无理由|"
                                  r"退换政策|退货政策|怎么退|不合适(能|可以)?(退|换)")
_RETURNS_QUESTION_EN = re.compile(r"\b(can|could|may) (i|we|you) (return|exchange|send (it|them) back|get a refund)|"
                                  r"\breturns? (policy|window|period)\b|\baccept returns\b|\bhow (do|does) returns? work\b|"
                                  r"\bfree returns?\b|\bif (it|they) (doesn'?t|don'?t|does not|do not) fit\b|"
                                  r"\bdays to return\b", re.IGNORECASE)
_ZH_RULES = {intent: re.compile(pattern) for intent, pattern in _ZH.items()}
_EN_RULES = {intent: re.compile(pattern) for intent, pattern in _EN.items()}
_RULES = tuple((intent, _ZH_RULES.get(intent), _EN_RULES.get(intent)) for intent in PRECEDENCE)
# Every alternative of every English rule spells at least one Latin letter (a test checks it): a text
# without one (most comments of a Chinese room) skips the English rules.
_LATIN_LETTER = re.compile("[a-z]")
# A bare "多少" ("1号多少?") asks the price only when nothing more specific matched ("还有多少", "运费多少").
_WEAK_PRICE = re.compile(r"多少(呀|啊|呢)?$")
_QUESTION_ZH = re.compile(r"吗|呢|么|嘛|多少|多[大长重高宽久]|几|怎么|什么|啥|咋|哪|是否|有没有|能不能|可不可以|会不会")
_QUESTION_EN = re.compile(r"\?|^(what|how|when|where|why|who|which|is|are|do|does|can|could|will|would|any)\b")


@dataclass(frozen=True, slots=True)
class IntentResult:
    """The winning intent, every intent that matched (in precedence order) and whether it is a question."""

    intent: Intent
    matched: tuple[Intent, ...]
    question: bool
    claim: bool = False  # it states a figure of a catalog fact (or asks to confirm one): correct it


def is_question(text: NormalizedText) -> bool:
    return "?" in text.text or bool(_QUESTION_ZH.search(text.compact)) or bool(_QUESTION_EN.search(text.text))


def _returns_question(compact: str, spaced: str, english: bool) -> bool:
    """A question about the returns policy and nothing worse (no other complaint word once the returns
    phrase is taken out)."""
    for pattern, text, rule in ((_RETURNS_QUESTION_ZH, compact, _ZH_RULES.get(Intent.COMPLAINT)),
                                (_RETURNS_QUESTION_EN, spaced, _EN_RULES.get(Intent.COMPLAINT) if english else None)):
        if rule is None or not pattern.search(text):
            continue
        rest = pattern.sub(" ", text)
        if not rule.search(rest) and not re.search(r"退|return", rest):
            return True
    return False


def detect_intent(text: NormalizedText) -> IntentResult:
    """Classify one normalised comment (see the module docstring)."""
    matched: list[Intent] = []
    compact, spaced = text.compact, text.text
    english = _LATIN_LETTER.search(spaced) is not None
    for intent, zh, en in _RULES:
        if (zh is not None and zh.search(compact)) or (english and en is not None and en.search(spaced)):
            matched.append(intent)
    if not matched and _WEAK_PRICE.search(text.compact):
        matched.append(Intent.PRICE)
    if _returns_question(compact, spaced, english):  # the policy, answered with the shop's returns text
        matched = [Intent.SHIPPING, *(i for i in matched if i not in (Intent.COMPLAINT, Intent.SHIPPING))]
    question = is_question(text)
    confirm = CONFIRMATION_ZH.search(compact) is not None or (english and CONFIRMATION_EN.search(spaced) is not None)
    claim = False
    if question or confirm:  # "洗发水是不是39元", "so the blender is $2, right?": a figure to correct
        kind = claim_kind(spaced)
        if kind is not None:
            claim = True
            if not matched or matched[0] not in ANSWERABLE | {Intent.COMPLAINT}:  # a complaint stays one
                matched.insert(0, Intent(kind))
        elif confirm and matched and matched[0] in ANSWERABLE:  # "包邮对吧": confirm a fact
            claim = True
    return IntentResult(matched[0] if matched else Intent.OTHER, tuple(matched), question or claim, claim)
