//! Exploits and debug endpoints of application frameworks and servers.

use super::super::ProbeCategory::*;
use super::Anchor::*;
use super::Cond::*;
use super::Scope::*;
use super::{l, Literals};

/// The framework signatures, most specific first within a category.
#[rustfmt::skip]
pub(in super::super) const FRAMEWORKS: &[Literals] = &[
    l(Framework, "ognl-injection", Target, Anywhere, Always, &[
        "%{(#", "%{#", "${#", "${(#", "#_memberaccess", "@java.lang.runtime",
        "xwork.methodaccessor", "ognlcontext", "#context[", "com.opensymphony", "@org.apache.",
        "redirect:${", "redirect:%{", "action:${", "redirectaction:", "getruntime().exec",
        "java.lang.processbuilder",
    ]),
    l(Framework, "spring4shell", Target, Anywhere, Always, &["class.module.classloader"]),
    l(Framework, "spring-spel", Target, Anywhere, Always, &["t(java.lang.", "t (java.lang."]),
    l(Framework, "spring-actuator", Path, Segment, Always, &["/actuator", "/jolokia"]),
    l(Framework, "spring-actuator", Normal, Root, Always, &[
        "/env", "/heapdump", "/trace", "/httptrace", "/configprops", "/autoconfig", "/mappings",
        "/threaddump", "/dump", "/beans", "/gateway/routes",
    ]),
    l(Framework, "struts-action", Path, SegmentEnd, Always, &[".action"]),
    l(Framework, "solr", Path, Root, Always, &["/solr"]),
    l(Framework, "solr", Path, Anywhere, Always, &["/solr/admin"]),
    l(Framework, "jenkins", Normal, Exact, Always, &["/script", "/scripttext"]),
    l(Framework, "jenkins", Path, Root, Always, &[
        "/jenkins", "/hudson", "/jnlpjars", "/securityrealm", "/asynchpeople",
    ]),
    l(Framework, "jenkins", Path, Anywhere, Always, &[
        "/j_acegi_security_check", "/descriptorbyname/",
    ]),
    l(Framework, "laravel-ignition", Path, Anywhere, Always, &["/_ignition/"]),
    l(Framework, "laravel-log", Path, Anywhere, Always, &["/storage/logs/", "/laravel.log"]),
    l(Framework, "laravel-debug", Path, Root, Always, &[
        "/telescope", "/_debugbar", "/horizon/api",
    ]),
    l(Framework, "drupal", Path, Root, Always, &["/changelog.txt"]),
    l(Framework, "drupal", Path, Anywhere, Always, &[
        "/core/changelog.txt", "/sites/default/", "/core/install.php",
    ]),
    l(Framework, "drupal", Query, Anywhere, Always, &["element_parents=", "_format=hal_json"]),
    l(Framework, "drupal", Target, Anywhere, Always, &[
        "#post_render", "#lazy_builder", "[#markup]",
    ]),
    l(Framework, "joomla", Path, Anywhere, Always, &[
        "/administrator/manifests/", "/administrator/components/", "/components/com_",
        "/api/index.php/v1/",
    ]),
    l(Framework, "joomla", Path, Segment, Always, &["/joomla.xml", "/configuration.php"]),
    l(Framework, "joomla", Query, Param, Always, &["option=com_"]),
    l(Framework, "magento", Path, Root, Always, &["/downloader", "/magento_version"]),
    l(Framework, "magento", Path, Anywhere, Always, &["/app/etc/local.xml", "/app/etc/env.php"]),
    l(Framework, "exchange", Path, Root, Always, &[
        "/owa", "/ecp", "/autodiscover", "/ews", "/mapi", "/microsoft-server-activesync",
        "/aspnet_client", "/rpc/rpcproxy.dll",
    ]),
    l(Framework, "confluence", Path, Anywhere, Always, &["/rest/tinymce/", "/template/aui/"]),
    l(Framework, "confluence", Path, Root, Always, &["/confluence"]),
    l(Framework, "jira", Path, SegmentEnd, Always, &[".jspa"]),
    l(Framework, "phpunit", Path, Segment, Always, &["/phpunit"]),
    l(Framework, "phpunit", Path, Anywhere, Always, &["eval-stdin.php"]),
    l(Framework, "thinkphp", Target, Anywhere, Always, &[
        "invokefunction", "think/app", "think/container", "think/request", "think/template/driver",
        "hellothinkphp", "_method=__construct",
    ]),
    l(Framework, "thinkphp", Path, Segment, Always, &["/thinkphp"]),
    l(Framework, "thinkphp", Query, Param, Always, &["s=captcha", "s=/index/"]),
    l(Framework, "jboss", Path, Segment, Always, &[
        "/jmx-console", "/web-console", "/invoker", "/admin-console", "/jbossmq-httpil", "/jbossws",
    ]),
    l(Framework, "weblogic", Normal, Start, Always, &["/console/"]),
    l(Framework, "weblogic", Path, Anywhere, Always, &[
        "console.portal", "/wls-wsat/", "/_async/", "/bea_wls_", "/uddiexplorer", "/ws_utc/",
    ]),
    l(Framework, "grafana", Path, Anywhere, Always, &["/public/plugins/"]),
    l(Framework, "ofbiz", Path, Anywhere, Always, &["/webtools/control/"]),
    l(Framework, "geoserver", Path, Root, Always, &["/geoserver"]),
    l(Framework, "vcenter", Path, Anywhere, Always, &[
        "/ui/vropspluginui", "/analytics/telemetry/", "/ui/h5-vsan/", "/ui/vcav-bootstrap/",
    ]),
    l(Framework, "vcenter", Path, Root, Always, &["/vsphere-client", "/websso"]),
    l(Framework, "liferay", Path, Anywhere, Always, &["/api/jsonws"]),
    l(Framework, "symfony", Path, Segment, Always, &["/_profiler", "/_fragment", "/app_dev.php"]),
    l(Framework, "yii-debug", Path, Anywhere, Always, &["/debug/default/"]),
    l(Framework, "yii-debug", Path, Root, Always, &["/gii"]),
    l(Framework, "rails", Path, Start, Always, &["/rails/info"]),
    l(Framework, "go-pprof", Path, Start, Always, &["/debug/pprof"]),
    l(Framework, "nacos", Path, Root, Always, &["/nacos"]),
    l(Framework, "druid", Path, Root, Always, &["/druid"]),
    l(Framework, "elasticsearch", Path, Root, Always, &[
        "/_cat", "/_cluster", "/_nodes", "/_search", "/_all",
    ]),
    l(Framework, "couchdb", Path, Root, Always, &["/_utils", "/_all_dbs", "/_config"]),
    l(Framework, "docker-api", Path, Anywhere, Always, &["/containers/json"]),
    l(Framework, "hadoop-yarn", Path, Anywhere, Always, &["/ws/v1/cluster/"]),
    l(Framework, "coldfusion", Path, Root, Always, &["/cfide"]),
    l(Framework, "coldfusion", Path, SegmentEnd, Always, &[".cfm", ".cfc"]),
    l(Framework, "zimbra", Path, Root, Always, &["/zimbra"]),
    l(Framework, "zimbra", Path, Anywhere, Always, &["/service/extension/backup"]),
    l(Framework, "telerik", Path, Anywhere, Always, &["telerik.web.ui.webresource.axd"]),
    l(Framework, "moveit", Path, Anywhere, Always, &["/moveitisapi/"]),
];
