//! Routers, cameras, DVRs, NAS and VPN/firewall appliances.

use super::super::ProbeCategory::*;
use super::Anchor::*;
use super::Cond::*;
use super::Scope::*;
use super::{l, Literals};

/// The IoT and appliance signatures, most specific first within a category.
#[rustfmt::skip]
pub(in super::super) const DEVICES: &[Literals] = &[
    l(Iot, "boa-form", Path, Segment, Always, &["/boaform"]),
    l(Iot, "dlink-hnap", Path, Segment, Always, &["/hnap1"]),
    l(Iot, "dlink", Path, Segment, Always, &[
        "/getcfg.php", "/hedwig.cgi", "/soap.cgi", "/service.cgi",
    ]),
    l(Iot, "gpon", Path, Segment, Always, &["/gponform"]),
    l(Iot, "netgear", Path, Segment, Always, &[
        "/setup.cgi", "/currentsetting.htm", "/boarddataww.php", "/boarddatajp.php",
        "/apply_noauth.cgi",
    ]),
    l(Iot, "tp-link", Path, Anywhere, Always, &["/cgi-bin/luci", "/userrpm/"]),
    l(Iot, "tp-link", Target, Anywhere, Always, &[";stok="]),
    l(Iot, "linksys", Path, Segment, Always, &["/tmunblock.cgi", "/hndunblock.cgi"]),
    l(Iot, "realtek-upnp", Path, Segment, Always, &["/picsdesc.xml", "/wanipcn.xml"]),
    l(Iot, "realtek-upnp", Path, Anywhere, Always, &["/upnp/control/"]),
    l(Iot, "huawei-hg532", Path, Anywhere, Always, &["/ctrlt/"]),
    l(Iot, "tr-064", Path, Root, Always, &["/ud/act", "/tr064"]),
    l(Iot, "goahead-goform", Path, Segment, Always, &["/goform"]),
    l(Iot, "dvr-shell", Normal, Exact, Always, &["/shell"]),
    l(Iot, "dvr", Path, Segment, Always, &["/device.rsp", "/editblackandwhitelist"]),
    l(Iot, "dvr", Path, Anywhere, Always, &[
        "/dvr/cmd", "/cgi-bin/supervisor/", "/cgi-bin/nobody/",
    ]),
    l(Iot, "router-viewlog", Path, Anywhere, Always, &["/cgi-bin/viewlog.asp"]),
    l(Iot, "onvif", Path, Root, Always, &["/onvif", "/onvif-http"]),
    l(Iot, "hikvision", Path, Anywhere, Always, &["/sdk/weblanguage", "/doc/page/login.asp"]),
    l(Iot, "hikvision", Path, Root, Always, &["/isapi"]),
    l(Iot, "dahua", Path, Anywhere, Always, &["/rpc2_login", "/current_config/"]),
    l(Iot, "zte", Path, Anywhere, Always, &["/web_shell_cmd.gch"]),
    l(Iot, "fortinet", Path, Start, Always, &[
        "/remote/fgt_lang", "/remote/login", "/remote/logincheck", "/remote/error", "/remote/info",
        "/remote/saml", "/remote/hostcheck",
    ]),
    l(Iot, "fortinet", Path, Anywhere, Always, &["/api/v2/cmdb/", "/api/v2/monitor/"]),
    l(Iot, "pulse-secure", Path, Anywhere, Always, &[
        "/dana-na/", "/dana-ws/", "/dana-cached/", "/dana/",
    ]),
    l(Iot, "ivanti", Path, Anywhere, Always, &["/api/v1/totp/", "/api/v1/license/keys-status"]),
    l(Iot, "ivanti", Path, Root, Always, &["/mifs"]),
    l(Iot, "citrix", Path, Start, Always, &["/vpn/"]),
    l(Iot, "citrix", Path, Anywhere, Always, &["/vpns/", "/logon/logonpoint", "/nf/auth/"]),
    l(Iot, "citrix", Path, Root, Always, &["/citrix"]),
    l(Iot, "globalprotect", Path, Anywhere, Always, &["/global-protect/", "/ssl-vpn/"]),
    l(Iot, "globalprotect", Path, Root, Always, &["/sslmgr"]),
    l(Iot, "cisco", Path, Anywhere, Always, &[
        "/+cscoe+/", "/+cscot+/", "/webui/logoutconfirm.html",
    ]),
    l(Iot, "f5-bigip", Path, Root, Always, &["/tmui", "/mgmt/tm", "/mgmt/shared"]),
    l(Iot, "sonicwall", Path, Anywhere, Always, &[
        "/api/sonicos", "/cgi-bin/jarrewrite.sh", "/cgi-bin/sslvpnclient", "/sonicui/",
    ]),
    l(Iot, "zyxel", Path, Anywhere, Always, &[
        "/ztp/cgi-bin/", "/cgi-bin/export_debug_info", "/cgi-bin/zysh-cgi",
    ]),
    l(Iot, "zyxel", Path, Root, Always, &["/zyxel"]),
    l(Iot, "mikrotik", Path, Root, Always, &["/webfig", "/winbox"]),
    l(Iot, "draytek", Path, Anywhere, Always, &["/cgi-bin/mainfunction.cgi"]),
    l(Iot, "nas", Path, Anywhere, Always, &["/cgi-bin/authlogin.cgi", "/cgi-bin/nas_sharing.cgi"]),
    l(Iot, "nas", Path, Root, Always, &["/webman"]),
    l(Iot, "axis", Path, Root, Always, &["/axis-cgi"]),
    l(Iot, "zeroshell", Path, Anywhere, Always, &["/cgi-bin/kerbynet"]),
    l(Iot, "checkpoint", Path, Anywhere, Always, &["/clients/mycrl"]),
    l(Iot, "mirai-busybox", Target, Anywhere, Always, &["/bin/busybox"]),
];
