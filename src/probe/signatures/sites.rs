//! WordPress, CGI, admin panels and PHP: what scanners look for on any site.

use super::super::ProbeCategory::*;
use super::Anchor::*;
use super::Cond::*;
use super::Scope::*;
use super::{l, Literals};

/// The WordPress, CGI, admin-panel and PHP signatures, most specific first within a category.
#[rustfmt::skip]
pub(in super::super) const SITES: &[Literals] = &[
    l(Wordpress, "wp-user-enum", Path, Anywhere, Always, &["/wp-json/wp/v2/users", "/wp/v2/users"]),
    l(Wordpress, "wp-user-enum", Query, Anywhere, Always, &["rest_route=/wp/v2/users"]),
    l(Wordpress, "wp-user-enum", Query, Param, NumericValue, &["author="]),
    l(Wordpress, "wp-login", Path, Segment, Always, &[
        "/wp-login.php", "/wp-signup.php", "/wp-register.php",
    ]),
    l(Wordpress, "xmlrpc", Path, Segment, Always, &["/xmlrpc.php", "/xmlrpc"]),
    l(Wordpress, "wlwmanifest", Path, Segment, Always, &["/wlwmanifest.xml"]),
    l(Wordpress, "wp-config", Path, Segment, Always, &["/wp-config.php"]),
    l(Wordpress, "wp-plugin", Path, Anywhere, Always, &[
        "/wp-content/plugins/", "/wp-content/mu-plugins/",
    ]),
    l(Wordpress, "wp-theme", Path, Anywhere, Always, &["/wp-content/themes/"]),
    l(Wordpress, "wp-admin", Path, Segment, Always, &["/wp-admin"]),
    l(Wordpress, "wp-includes", Path, Segment, Always, &["/wp-includes"]),
    l(Wordpress, "wp-content", Path, Segment, Always, &["/wp-content"]),
    l(Wordpress, "wp-json", Path, Segment, Always, &["/wp-json"]),
    l(Wordpress, "wp-json", Query, Param, Always, &["rest_route="]),
    l(Wordpress, "wp-script", Path, SegmentStart, Script, &["/wp-"]),
    l(Wordpress, "wp-install-dir", Normal, Root, Always, &[
        "/wordpress", "/wp", "/wp-old", "/wp-new", "/wp-backup",
    ]),

    l(Cgi, "php-cgi", Path, Anywhere, Always, &["php-cgi"]),
    l(Cgi, "cgi-bin", Path, Segment, Always, &[
        "/cgi-bin", "/cgi-sys", "/cgi-local", "/cgi-mod", "/fcgi-bin", "/scgi-bin", "/cgi-win",
        "/htbin", "/cgibin",
    ]),
    l(Cgi, "cgi-bin", Path, Root, Always, &["/cgi"]),
    l(Cgi, "cgi-script", Path, SegmentEnd, Always, &[".cgi", ".fcgi", ".pl", ".sh"]),

    l(Admin, "tomcat-manager", Path, Start, Always, &[
        "/manager/html", "/manager/status", "/manager/text", "/host-manager",
    ]),
    l(Admin, "server-status", Path, Segment, Always, &[
        "/server-status", "/server-info", "/nginx_status", "/balancer-manager",
    ]),
    l(Admin, "admin-panel", Normal, Root, Always, &[
        "/admin", "/admin.php", "/admin.asp", "/admin.aspx", "/admin.html", "/admin.htm",
        "/admin.jsp", "/admin.cgi", "/admin1", "/admin2", "/adm", "/admin_login", "/adminlogin",
        "/admin-login", "/administration", "/moderator", "/sysadmin", "/superadmin", "/useradmin",
        "/admins", "/administrator.php", "/manage/admin",
    ]),
    l(Admin, "admin-panel", Path, Segment, Always, &[
        "/administrator", "/admincp", "/adminpanel", "/admin-panel", "/admin_panel", "/admin_area",
        "/adminarea", "/admin-area", "/controlpanel", "/control-panel", "/cpanel", "/webadmin",
        "/siteadmin", "/webmin", "/directadmin", "/admin-console", "/admin_console",
    ]),
    l(Admin, "admin-panel", Path, Anywhere, Always, &[
        "/admin/login.", "/admin/index.", "/admin/admin.",
    ]),
    l(Admin, "admin-console", Normal, Root, Always, &["/console"]),

    l(Php, "phpmyadmin", Normal, Start, Always, &["/phpmyadmin", "/php-myadmin", "/phpmy-admin"]),
    l(Php, "phpmyadmin", Path, Segment, Always, &["/phpmyadmin"]),
    l(Php, "phpmyadmin", Normal, Root, Always, &[
        "/pma", "/myadmin", "/mysqladmin", "/mysql-admin", "/dbadmin", "/phppgadmin", "/pgadmin",
        "/sqladmin", "/sqlmanager", "/websql",
    ]),
    l(Php, "adminer", Path, Segment, Always, &["/adminer"]),
    l(Php, "adminer", Path, SegmentStart, Script, &["/adminer"]),
    l(Php, "phpinfo", Path, Segment, Always, &[
        "/phpinfo", "/phpinfo.php", "/info.php", "/php_info.php", "/phpversion.php", "/php.php",
    ]),
    l(Php, "xdebug", Query, Param, Always, &[
        "xdebug_session_start", "xdebug_session=", "xdebug_profile", "xdebug_trace",
    ]),
    l(Php, "php-script", Path, SegmentEnd, Always, &[
        ".php", ".php2", ".php3", ".php4", ".php5", ".php7", ".php8", ".phtml", ".phar", ".phps",
        ".pht",
    ]),
];
