//! The keyword classes and function names of [`super::tokenize`].

use super::tokenize::*;

/// Whether a word names a function that only an attack calls for its side effect:
/// timing, files, the network, commands, error-forcing.
pub(super) fn strong(w: &[u8]) -> bool {
    let last = w.rsplit(|&c| c == b'.').next().unwrap_or(w);
    last.starts_with(b"xp_")
        || last.starts_with(b"sp_")
        || w.starts_with(b"utl_")
        || w.starts_with(b"dbms_")
        || w.starts_with(b"ctxsys.")
        || matches!(
            w,
            b"sleep"
                | b"pg_sleep"
                | b"benchmark"
                | b"load_file"
                | b"extractvalue"
                | b"updatexml"
                | b"sys_eval"
                | b"sys_exec"
                | b"randomblob"
                | b"openrowset"
                | b"opendatasource"
                | b"name_const"
                | b"pg_read_file"
                | b"lo_import"
                | b"make_set"
                | b"gtid_subset"
                | b"geometrycollection"
        )
}

/// Whether a word names a function only an attack calls.
pub(super) fn dangerous(w: &[u8]) -> bool {
    let last = w.rsplit(|&c| c == b'.').next().unwrap_or(w);
    if last.starts_with(b"xp_") || last.starts_with(b"sp_") {
        return true;
    }
    matches!(
        w,
        b"sleep"
            | b"pg_sleep"
            | b"benchmark"
            | b"load_file"
            | b"extractvalue"
            | b"updatexml"
            | b"exists"
            | b"utl_http.request"
            | b"utl_inaddr.get_host_address"
            | b"utl_inaddr.get_host_name"
            | b"dbms_pipe.receive_message"
            | b"dbms_lock.sleep"
            | b"ctxsys.drithsx.sn"
            | b"dbms_xmlgen.getxml"
            | b"sys_eval"
            | b"sys_exec"
            | b"randomblob"
            | b"openrowset"
            | b"opendatasource"
            | b"name_const"
            | b"geometrycollection"
            | b"multipoint"
            | b"polygon"
            | b"linestring"
            | b"gtid_subset"
            | b"json_keys"
            | b"make_set"
            | b"group_concat"
            | b"information_schema.tables"
            | b"information_schema.columns"
            | b"@@version"
            | b"version"
            | b"database"
            | b"current_user"
            | b"system_user"
            | b"session_user"
            | b"db_name"
            | b"user_name"
            | b"is_srvrolemember"
            | b"char"
            | b"chr"
            | b"ascii"
            | b"substring"
            | b"substr"
            | b"concat"
            | b"convert"
            | b"cast"
    )
}

/// Keyword class of a word (`n` if none).
pub(super) fn classify(w: &[u8]) -> Tok {
    let t = |kind, tag| Tok { kind, tag, word: 0 };
    match w {
        b"and" | b"or" | b"xor" => t(b'&', 0),
        b"not" | b"binary" => t(b'N', 0),
        b"like" | b"rlike" | b"regexp" | b"is" | b"in" | b"between" | b"sounds" | b"div"
        | b"mod" | b"ilike" | b"similar" => t(b'o', T_WORD),
        b"union" | b"intersect" | b"except" | b"minus" => t(b'U', 0),
        b"select" => t(b'E', T_SELECT),
        b"insert" | b"replace" => t(b'E', T_INSERT),
        b"update" => t(b'E', T_UPDATE),
        b"delete" => t(b'E', T_DELETE),
        b"drop" => t(b'E', T_DROP),
        b"create" | b"alter" | b"truncate" | b"rename" | b"grant" | b"revoke" => t(b'E', T_DDL),
        b"exec" | b"execute" => t(b'E', T_EXEC),
        b"declare" => t(b'E', T_DECLARE),
        b"waitfor" => t(b'E', T_WAITFOR),
        b"shutdown" => t(b'E', T_SHUTDOWN),
        b"having" | b"limit" | b"procedure" | b"offset" => t(b'k', 0),
        b"where" => t(b'k', T_WHERE),
        b"into" => t(b'k', T_INTO),
        b"from" => t(b'K', T_FROM),
        b"table" | b"database" | b"view" | b"function" | b"trigger" | b"index" | b"schema"
        | b"login" => t(b'K', T_OBJECT),
        // Also a placeholder for any column name (`' or column=column`).
        b"column" => t(b'n', T_OBJECT),
        b"case" => t(b'K', T_CASE),
        b"when" => t(b'K', T_WHEN),
        b"then" => t(b'K', T_THEN),
        b"end" => t(b'K', T_END),
        b"use" | b"call" | b"begin" | b"load" | b"print" | b"goto" | b"backup" | b"restore"
        | b"handler" | b"prepare" | b"deallocate" | b"open" | b"fetch" | b"kill"
        | b"reconfigure" | b"dbcc" | b"bulk" | b"raiserror" => t(b'K', T_BATCH),
        b"set" => t(b'K', T_SET),
        b"values" | b"as" | b"on" | b"join" | b"else" | b"distinct" | b"all" | b"top" | b"asc"
        | b"desc" | b"collate" | b"by" | b"delay" | b"with" | b"nowait" | b"escape" => t(b'K', 0),
        b"outfile" | b"dumpfile" | b"infile" => t(b'K', T_FILE),
        b"null" | b"true" | b"false" | b"unknown" => t(b'1', 0),
        _ => t(b'n', 0),
    }
}
