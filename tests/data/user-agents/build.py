#!/usr/bin/env python3
"""Rebuilds bots.tsv and browsers.tsv from the public lists named in README.md.

Usage: build.py MONPERRUS ARCJET UAP_CORE TOP_USER_AGENTS
where each argument is a git directory (a clone or mirror) of, in order,
monperrus/crawler-user-agents, arcjet/well-known-bots, ua-parser/uap-core and
microlinkhq/top-user-agents. Files are read at HEAD with `git show`; the commits used
are written into the header lines. Needs PyYAML.
"""

import json
import subprocess
import sys

import yaml

HERE = __file__.rsplit("/", 1)[0]


def show(repo, path):
    return subprocess.run(
        ["git", "-C", repo, "show", f"HEAD:{path}"], check=True, capture_output=True, text=True
    ).stdout


def head(repo):
    return subprocess.run(
        ["git", "-C", repo, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def clean(ua):
    ua = ua.strip()
    if not ua or "\t" in ua or "\n" in ua or "\r" in ua:
        return None
    return ua


# uap-core `tests/test_ua.yaml` families that are browsers, web views or in-app browsers
# (uap-core's own labels; everything else in that file is left out).
BROWSER_FAMILIES = {
    "115 Browser", "360 Secure Browser", "AOL", "AOL Desktop Gold Browser",
    "AOL Shield Browser", "Aloha Browser", "Amazon Silk", "Android", "Atom Browser",
    "Avast Secure Browser", "Baidu Browser", "Baidu Explorer", "Basilisk",
    "BlackBerry WebKit", "BOLT", "Brave", "Camoufox", "Chrome", "Chrome Mobile",
    "Chrome Mobile WebView", "Chrome Mobile iOS", "Chromium", "Chromium GOST Browser",
    "Coc Coc", "Comodo Dragon", "Conkeror", "Craving Explorer Browser", "Crosswalk",
    "Decentr Web3 Browser", "Dolfin", "Dolphin", "Dragon", "DuckDuckGo",
    "DuckDuckGo Mobile", "Ecosia Android", "Ecosia iOS", "Edge", "Edge Mobile",
    "Facebook", "Facebook Messenger", "FireWeb", "Firefox", "Firefox (Shiretoko)",
    "Firefox Beta", "Firefox Mobile", "Firefox iOS", "Flipboard", "Google",
    "HeyTap Browser", "HiBrowser", "Hola Browser", "Honor Browser", "Huawei Browser",
    "IE", "IE Large Screen", "IE Mobile", "IceCat", "Instagram", "Iron", "JiSu Browser",
    "KakaoTalk", "Konqueror", "LINE", "Ladybird", "Lite Browser", "Mail.ru Chromium Browser",
    "Maxthon", "Midori", "Mint Browser", "MiuiBrowser", "Mobile Safari",
    "Mobile Safari UI/WKWebView", "MullvadBrowser", "Mypal Browser", "NetFront",
    "NetFront NX", "Nokia Browser", "Nokia OSS Browser", "Oculus Browser", "Opera",
    "Opera Coast", "Opera GX", "Opera Mini", "Opera Mobile", "Opera Neon", "Opera Tablet",
    "Opera Touch", "Ovi Browser", "Pale Moon", "Phoenix Browser", "Pinterest", "Puffin",
    "QAX Browser", "QQ Browser", "QQ Browser Mobile", "Quark", "Quark PC", "QupZilla",
    "Rekonq", "RockMelt", "Safari", "Sailfish Browser", "Samsung Internet", "Sber Browser",
    "Seznam prohlížeč", "Skyfire", "Sleipnir", "Smart Lenovo Browser",
    "SmartTV WebBrowser", "Snapchat", "Sparrow Browser", "Talon Cyber Security Browser",
    "Teleca Browser", "Telegram", "Tenta Browser", "ThunderBrowse", "TikTok", "Twitter",
    "UC Browser", "Vivaldi", "VivoBrowser", "Vewd Browser", "Waterfox", "WeChat Browser",
    "Weibo", "Whale", "Wolvic Browser", "Yandex Browser", "mDolphin", "qutebrowser",
    "webOS Browser", "Steam Client", "Steam GameOverlay", "Steam Deck", "Kindle",
    "Espial", "Electron", "Microsoft Teams", "Slack Desktop Client", "Onefootball",
    "Instabridge", "Obigo", "Open Wave", "Planetweb", "Otter", "TopBuzz", "Roblox App",
}

# Rows of uap-core's browser lists that are not a browser's or web view's requests, with
# the reason; left out of browsers.tsv. Found by reading every row the classifier reads
# as a bot, and kept only when the row itself says so.
NOT_BROWSERS = {
    # Pinterest's crawler ("Pinterest/0.2 (+http://www.pinterest.com/bot.html)" in
    # Pinterest's documentation; monperrus/crawler-user-agents has the pattern
    # `Pinterest/0\.`); uap-core files it under the family "Pinterest".
    "Pinterest/0.1",
    "Pinterest/0.2 (+http://www.pinterest.com/)",
    # Android's HTTP library (Dalvik) used by the Facebook Messenger app for its own API
    # calls, not a web view: a tool, as `Dalvik/…` is everywhere else.
    "Dalvik/1.2.0 (Linux; U; Android 2.2.2; HTC Desire Build/FRG83G) [FBAN/Orca-Android;FBAV/2.6.1-release;FBLC/de_DE;FBBV/288543;FBCR/o2 - de;FBMF/HTC;FBBD/htc_wwe;FBDV/HTC Desire;FBSV/2.2.2]",
}


def bots(monperrus, arcjet, uap):
    rows, seen = [], set()

    def add(ua, source):
        ua = clean(ua)
        if ua and ua not in seen:
            seen.add(ua)
            rows.append((ua, "bot", source))

    src = f"monperrus/crawler-user-agents@{head(monperrus)[:12]}:crawler-user-agents.json (MIT)"
    for entry in json.loads(show(monperrus, "crawler-user-agents.json")):
        for ua in entry.get("instances", []):
            add(ua, src)
    src = f"arcjet/well-known-bots@{head(arcjet)[:12]}:well-known-bots.json (MIT)"
    for entry in json.loads(show(arcjet, "well-known-bots.json")):
        for ua in entry.get("instances", {}).get("accepted", []):
            add(ua, src)
    src = f"ua-parser/uap-core@{head(uap)[:12]}:tests/test_device.yaml, family Spider (Apache-2.0)"
    for case in yaml.safe_load(show(uap, "tests/test_device.yaml"))["test_cases"]:
        if case["family"] == "Spider":
            add(case["user_agent_string"], src)
    return rows


def browsers(uap, top):
    rows, seen = [], set()

    def add(ua, source):
        ua = clean(ua)
        if ua and ua not in seen and ua not in NOT_BROWSERS:
            seen.add(ua)
            rows.append((ua, "browser", source))

    commit = head(top)[:12]
    for path in ["src/index.json", "src/desktop.json", "src/mobile.json"]:
        for ua in json.loads(show(top, path)):
            add(ua, f"microlinkhq/top-user-agents@{commit}:{path} (MIT)")
    commit = head(uap)[:12]
    devices = yaml.safe_load(show(uap, "tests/test_device.yaml"))["test_cases"]
    spiders = {c["user_agent_string"] for c in devices if c["family"] == "Spider"}
    src = f"ua-parser/uap-core@{commit}:tests/test_ua.yaml, browser families (Apache-2.0)"
    for case in yaml.safe_load(show(uap, "tests/test_ua.yaml"))["test_cases"]:
        ua = case["user_agent_string"]
        if case["family"] in BROWSER_FAMILIES and ua not in spiders:
            add(ua, src)
    for path in [
        "test_resources/firefox_user_agent_strings.yaml",
        "test_resources/opera_mini_user_agent_strings.yaml",
    ]:
        for case in yaml.safe_load(show(uap, path))["test_cases"]:
            add(case["user_agent_string"], f"ua-parser/uap-core@{commit}:{path} (Apache-2.0)")
    # Phones, tablets and TVs: every fifth `Mozilla/…` or `Opera/…` row that is not a
    # `Spider`, in file order.
    src = f"ua-parser/uap-core@{commit}:tests/test_device.yaml, every 5th browser row (Apache-2.0)"
    candidates = [
        c["user_agent_string"]
        for c in devices
        if c["family"] != "Spider"
        and c["user_agent_string"].startswith(("Mozilla/", "Opera/"))
    ]
    for ua in candidates[::5]:
        add(ua, src)
    return rows


def write(path, rows, bot_names):
    with open(path, "w", encoding="utf-8") as f:
        f.write("user_agent\texpect_kind\tsource\n")
        for ua, kind, source in rows:
            if kind == "browser" and ua in bot_names:
                continue
            f.write(f"{ua}\t{kind}\t{source}\n")


def main():
    monperrus, arcjet, uap, top = sys.argv[1:5]
    bot_rows = bots(monperrus, arcjet, uap)
    bot_uas = {r[0] for r in bot_rows}
    write(f"{HERE}/bots.tsv", bot_rows, set())
    # A string that a bot list names is never counted as a browser.
    write(f"{HERE}/browsers.tsv", browsers(uap, top), bot_uas)


if __name__ == "__main__":
    main()
