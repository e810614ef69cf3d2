//! Webshells: known uploaded shells and backdoors, scripts in upload folders.

use super::super::ProbeCategory::*;
use super::Anchor::*;
use super::Cond::*;
use super::Scope::*;
use super::{l, Literals};

/// Shell families whose names are distinctive: any script whose name starts with one.
#[rustfmt::skip]
const SHELL_FAMILIES: &[&str] = &[
    "/c99", "/c100", "/r57", "/wso", "/alfa", "/b374k", "/indoxploit", "/priv8", "/xleet",
    "/marijuana", "/gel4y", "/webshell", "/shell", "/cmd", "/backdoor", "/jspspy", "/aspxspy",
    "/phpspy", "/antsword", "/chopper", "/wshell", "/sh3ll", "/h4x0r", "/r00t", "/k2ll33d",
    "/madspot", "/lufix", "/haxor", "/0byte", "/symlink", "/phpshell", "/cmdshell",
    "/reverse-shell", "/revshell", "/php-backdoor", "/simple-backdoor", "/fox-wso", "/anonymousfox",
    "/bypass403", "/tinyfilemanager", "/filesman", "/leafmailer",
];

/// Shell names that are common words: only the exact name, with a script extension.
#[rustfmt::skip]
const SHELL_NAMES: &[&str] = &[
    "/mini.", "/bypass.", "/sym.", "/uploader.", "/wp-conflg.", "/lock360.", "/zone-h.", "/hacked.",
    "/inject.", "/exploit.", "/evil.", "/pwn.", "/owned.",
];

/// The webshell signatures, most specific first within a category.
#[rustfmt::skip]
pub(in super::super) const SHELLS: &[Literals] = &[
    l(Webshell, "webshell-name", Path, SegmentStart, Script, SHELL_FAMILIES),
    l(Webshell, "webshell-name", Path, SegmentStart, Script, SHELL_NAMES),
    l(Webshell, "webshell-name", Path, Segment, Always, &["/alfa_data", "/alfacgiapi"]),
    l(Webshell, "webshell-marker", Target, Anywhere, Always, &[
        "filesman", "alfacgiapi", "wso_version",
    ]),
    l(Webshell, "webshell-usage", Query, Param, ShellCommandOnScript, &[
        "cmd=", "exec=", "command=", "shell=", "execute=", "c=",
    ]),
    l(Webshell, "upload-folder-script", Path, Anywhere, ScriptPath, &[
        "/uploads/", "/upload/", "/.well-known/", "/userfiles/", "/user_uploads/",
        "/images/uploads/",
    ]),
];
