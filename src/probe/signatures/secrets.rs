//! Dotfiles, VCS metadata, keys, config files, dumps, backups and archives.

use super::super::ProbeCategory::*;
use super::Anchor::*;
use super::Cond::*;
use super::Scope::*;
use super::{l, Literals};

/// The secrets signatures, most specific first within a category.
#[rustfmt::skip]
pub(in super::super) const SECRETS: &[Literals] = &[
    l(Secrets, "dotenv", Normal, SegmentStart, Always, &["/.env"]),
    l(Secrets, "dotenv", Normal, SegmentEnd, Always, &[".env"]),
    l(Secrets, "git-metadata", Normal, SegmentStart, Always, &["/.git"]),
    l(Secrets, "svn-metadata", Normal, SegmentStart, Always, &["/.svn"]),
    l(Secrets, "hg-metadata", Normal, SegmentStart, Always, &["/.hg"]),
    l(Secrets, "vcs-metadata", Normal, SegmentStart, Always, &["/.bzr", "/.cvs", "/cvs/entries"]),
    l(Secrets, "aws-credentials", Normal, SegmentStart, Always, &["/.aws", "/.s3cfg", "/.boto"]),
    l(Secrets, "cloud-credentials", Normal, SegmentStart, Always, &[
        "/.azure", "/.gcloud", "/.kube", "/.terraform", "/.docker",
    ]),
    l(Secrets, "ssh-keys", Normal, SegmentStart, Always, &[
        "/.ssh", "/id_rsa", "/id_dsa", "/id_ecdsa", "/id_ed25519", "/authorized_keys",
        "/known_hosts",
    ]),
    l(Secrets, "htpasswd", Normal, SegmentStart, Always, &["/.htpasswd", "/htpasswd"]),
    l(Secrets, "htaccess", Normal, SegmentStart, Always, &["/.htaccess"]),
    l(Secrets, "ds-store", Normal, Segment, Always, &["/.ds_store", "/thumbs.db", "/desktop.ini"]),
    l(Secrets, "web-config", Normal, Segment, Always, &["/web.config", "/app.config", "/web.xml"]),
    l(Secrets, "wp-config-copy", Normal, Segment, Always, &[
        "/wp-config.txt", "/wp-config.php.txt", "/wp-config.php.dist", "/wp-config.inc",
        "/wp-config.zip", "/wp-config",
    ]),
    l(Secrets, "config-file", Normal, Segment, Always, &[
        "/config.json", "/config.yml", "/config.yaml", "/config.xml", "/config.ini", "/config.inc",
        "/config.toml", "/config.conf", "/config.txt", "/secrets.json", "/secrets.yml",
        "/secrets.yaml", "/secret.json", "/secret.yml", "/credentials", "/credentials.json",
        "/credentials.xml", "/credentials.yml", "/database.yml", "/database.yaml", "/database.json",
        "/parameters.yml", "/parameters.yaml", "/application.yml", "/application.yaml",
        "/application.properties", "/bootstrap.yml", "/local.settings.json", "/settings.py",
        "/local_settings.py", "/php.ini", "/my.cnf", "/wp-config.php.swp", "/env.json",
        "/keys.json", "/auth.json", "/service-account.json", "/firebase.json",
        "/serviceaccountkey.json", "/nginx.conf", "/httpd.conf", "/apache2.conf", "/server.xml",
        "/tomcat-users.xml", "/settings.ini", "/database.ini", "/db.ini", "/sendgrid.env",
        "/config.php.bak", "/configuration.yml",
    ]),
    l(Secrets, "config-file", Normal, SegmentStart, Always, &["/appsettings."]),
    l(Secrets, "docker-config", Normal, SegmentStart, Always, &[
        "/docker-compose", "/dockerfile", "/.dockerenv",
    ]),
    l(Secrets, "dependency-manifest", Normal, Segment, Always, &[
        "/composer.json", "/composer.lock", "/package.json", "/package-lock.json", "/yarn.lock",
        "/gemfile.lock", "/pipfile.lock",
    ]),
    l(Secrets, "npmrc", Normal, SegmentStart, Always, &[
        "/.npmrc", "/.yarnrc", "/.pypirc", "/.netrc", "/.pgpass", "/.my.cnf",
    ]),
    l(Secrets, "editor-config", Normal, SegmentStart, Always, &[
        "/.vscode", "/.idea", "/sftp-config.json", "/.ftpconfig", "/.remote-sync.json",
        "/ftpsync.settings", "/sitemanager.xml", "/filezilla.xml", "/recentservers.xml",
    ]),
    l(Secrets, "java-config", Normal, Segment, Always, &["/web-inf", "/meta-inf"]),
    l(Secrets, "shell-history", Normal, SegmentStart, Always, &[
        "/.bash_history", "/.zsh_history", "/.mysql_history", "/.psql_history", "/.bashrc",
        "/.profile",
    ]),
    l(Secrets, "frontpage", Normal, Anywhere, Always, &["/_vti_pvt/", "/_vti_bin/"]),
    l(Secrets, "database-dump", Normal, SegmentEnd, Always, &[
        ".sql", ".sqlite", ".sqlite3", ".mdb", ".dump", ".rdb", ".db",
    ]),
    l(Secrets, "database-dump", Normal, Anywhere, Always, &[".sql."]),
    l(Secrets, "private-key", Normal, SegmentEnd, Always, &[
        ".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk", ".crt",
    ]),
    l(Secrets, "log-file", Normal, SegmentEnd, Always, &[".log"]),
    l(Secrets, "log-file", Normal, Segment, Always, &[
        "/error_log", "/access_log", "/logs/error", "/logs/access",
    ]),
    l(Secrets, "backup-file", Normal, SegmentEnd, Always, &[
        ".bak", ".bk", ".bkp", ".old", ".orig", ".save", ".sav", ".swp", ".swo", ".backup", "~",
        ".copy", ".tmp", ".dist",
    ]),
    l(Secrets, "backup-archive", Normal, SegmentEnd, BackupArchive, &[
        ".zip", ".tar", ".tar.gz", ".tgz", ".gz", ".rar", ".7z", ".bz2", ".tbz2", ".xz", ".war",
    ]),
    l(Secrets, "backup-dir", Normal, Root, Always, &[
        "/backup", "/backups", "/bak", "/dump", "/db_backup",
    ]),
    l(Secrets, "dotfile", Normal, SegmentStart, Always, &["/."]),
];
