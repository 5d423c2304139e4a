/*
 * cell_parse.y - the grammar of the .cell policy language (docs/language.md).
 *
 * A pure parser with locations and a custom syntax-error reporter that
 * names the unexpected token and lists every expected one (exact, thanks to
 * LAC). Error recovery resynchronises at the next ';' in the innermost list
 * of statements, so one run reports every syntax error of a file.
 *
 * The parser only shapes the tree: every value keeps its spelling and
 * location, and all typing and semantic checks are the checker's
 * (compiler/check*.c). Keywords are accepted wherever a name is (`word`), so
 * `allow umask;` and `open(mode == 0)` parse.
 */
%code requires {
#include <stdint.h>
#include <stdbool.h>
#include "compiler/ast.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
struct parse_ctx;

struct val_list { struct ast_val *head, *tail; };
struct opt_list { struct ast_opt *head, *tail; };
struct stmt_list { struct ast_stmt *head, *tail; };
struct sec_list { struct ast_section *head, *tail; };
struct tgt_list { struct ast_sc_target *head, *tail; };
struct pred_list { struct ast_pred *head, *tail; };

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                  \
    do {                                                             \
        if (N) {                                                     \
            (Cur).file = YYRHSLOC(Rhs, 1).file;                      \
            (Cur).line = YYRHSLOC(Rhs, 1).line;                      \
            (Cur).col = YYRHSLOC(Rhs, 1).col;                        \
            (Cur).end_line = YYRHSLOC(Rhs, N).end_line;              \
            (Cur).end_col = YYRHSLOC(Rhs, N).end_col;                \
        } else {                                                     \
            (Cur).file = YYRHSLOC(Rhs, 0).file;                      \
            (Cur).line = (Cur).end_line = YYRHSLOC(Rhs, 0).end_line; \
            (Cur).col = (Cur).end_col = YYRHSLOC(Rhs, 0).end_col;    \
        }                                                            \
    } while (0)
}

%code provides {
int yylex(YYSTYPE *yylval_param, YYLTYPE *yylloc_param, yyscan_t yyscanner);
}

%code {
#include <stdio.h>
#include <string.h>
#include "compiler/diag.h"
#include "compiler/parse.h"

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_ctx *ctx, const char *msg);

#define A (ctx->arena)

static struct ast_stmt *mk_stmt(struct parse_ctx *ctx, enum ast_stmt_kind k, struct loc l)
{
    struct ast_stmt *s = arena_alloc(A, sizeof *s);
    s->kind = k;
    s->loc = l;
    return s;
}

static struct ast_stmt *mk_stmt1(struct parse_ctx *ctx, enum ast_stmt_kind k, struct loc l,
                                 struct ast_val *v)
{
    struct ast_stmt *s = mk_stmt(ctx, k, l);
    s->vals = v;
    return s;
}

static struct ast_section *mk_sec(struct parse_ctx *ctx, enum ast_section_kind k, struct loc l,
                                  struct ast_stmt *stmts)
{
    struct ast_section *s = arena_alloc(A, sizeof *s);
    s->kind = k;
    s->loc = l;
    s->stmts = stmts;
    return s;
}

static struct val_list vl_one(struct ast_val *v)
{
    struct val_list l = { v, v };
    return l;
}

static struct val_list vl_add(struct val_list l, struct ast_val *v)
{
    if (!v)
        return l;
    if (!l.head)
        return vl_one(v);
    l.tail->next = v;
    l.tail = v;
    return l;
}

static struct ast_opt *mk_opt(struct parse_ctx *ctx, enum ast_opt_kind k, struct loc l,
                              struct ast_val *v)
{
    struct ast_opt *o = arena_alloc(A, sizeof *o);
    o->kind = k;
    o->loc = l;
    o->val = v;
    return o;
}

#define LIST_ADD(l, x) do { if ((x)) { if (!(l).head) (l).head = (l).tail = (x); \
                                        else { (l).tail->next = (x); (l).tail = (x); } } } while (0)
}

%define api.pure full
%define api.location.type {struct loc}
%define parse.error custom
%define parse.lac full
%locations
%param {yyscan_t scanner}
%parse-param {struct parse_ctx *ctx}
%expect 0

%union {
    struct ast_val *val;
    struct val_list vl;
    struct opt_list ol;
    struct ast_opt *opt;
    struct ast_stmt *stmt;
    struct stmt_list sl;
    struct ast_section *sec;
    struct sec_list secl;
    struct ast_sc_target *tgt;
    struct tgt_list tl;
    struct ast_pred *pred;
    struct pred_list pl;
    int num;
}

%token <val> STRING "string" NUMBER "number" WORD "identifier" GROUP "group name"
%token <val> ADDR "address"
%token <val> ARROW "->" EQ "==" NE "!=" LE "<=" GE ">=" ANDAND "&&" OROR "||"
%token <val> '{' '}' '(' ')' ';' ',' '=' ':' '/' '*' '&' '|' '<' '>' '-'
%token <val>
    KW_ABI "abi" KW_ALLOW "allow" KW_ANY_NAME "any-name" KW_ARGV "argv" KW_AS "as" KW_AT "at"
    KW_BACKEND "backend" KW_BOOTARGS "bootargs" KW_CAPABILITY "capability"
    KW_CEILING "ceiling" KW_CELL "cell" KW_CPU "cpu" KW_CPU_BE "cpu-best-effort"
    KW_CWD "cwd" KW_DEFAULT "default" KW_DELIVERED "delivered" KW_DEV "dev" KW_DEVICE "device" KW_DIR "dir"
    KW_EGRESS "egress" KW_EGRESS_HOSTS "egress-hosts" KW_ENOSYS "enosys" KW_ENV "env"
    KW_ERRNO "errno" KW_EVENTS "events" KW_EXTRA_ARGS "extra-args" KW_FILE "file"
    KW_FILESYSTEM "filesystem" KW_FROM "from" KW_GROUP "group" KW_GVISOR "gvisor"
    KW_HOSTNAME "hostname" KW_IN "in" KW_INITRAMFS_LIMIT "initramfs-limit"
    KW_KERNEL "kernel" KW_KEY "key" KW_KILL_PROCESS "kill-process"
    KW_KILL_THREAD "kill-thread" KW_LANDLOCK "landlock" KW_LIMITS "limits" KW_LOG "log" KW_LOOPBACK "loopback"
    KW_MASK "mask" KW_MEMORY "memory" KW_MEMORY_BE "memory-best-effort" KW_MODE "mode"
    KW_NETWORK "network" KW_NOEXEC "noexec" KW_NONE "none" KW_NOT "not"
    KW_OPTIONAL "optional" KW_PACK "pack" KW_PASS "pass" KW_PASS_FD "pass-fd"
    KW_PIDS "pids" KW_PIDS_BE "pids-best-effort" KW_PLATFORM "platform" KW_PROC "proc"
    KW_PROCESS "process" KW_REQUIRE "require" KW_RLIMIT "rlimit" KW_RO "ro"
    KW_ROOTFS "rootfs" KW_RW "rw" KW_SECRET "secret" KW_SECRETS "secrets"
    KW_SHA256 "sha256" KW_SIZE "size" KW_SOURCE "source" KW_SUBJECT "subject"
    KW_SYMLINK "symlink" KW_SYSCALLS "syscalls" KW_TCP "tcp" KW_TMPFS "tmpfs"
    KW_TRAP "trap" KW_UDP "udp" KW_UMASK "umask" KW_UNSAFE "unsafe" KW_USE "use"
    KW_USER "user" KW_USER_NOTIFY "user-notify" KW_VCPUS "vcpus" KW_VM "vm"
    KW_WALL "wall" KW_WORKSPACE "workspace"
    KW_SPEC_ID "spec-id" KW_CORRELATION_ID "correlation-id" KW_PACK_ID "pack-id"
    KW_PACK_VERSION "pack-version"
    KW_EXPORT "export" KW_ARTIFACT "artifact" KW_MAX "max" KW_REQUIRED "required"

%type <val> word name rl_val errno_v vatom egress_target sc_name proto_kw
%type <vl> str_list word_list num_list vexpr set_vals opt_set_vals port_spec secret_end
%type <ol> fs_opts export_opts
%type <opt> fs_opt opt_unsafe export_opt opt_any_name
%type <stmt> proc_stmt fs_stmt egress_rule lim_stmt sc_stmt vm_stmt gv_stmt ev_stmt
%type <stmt> secret_stmt ceil_stmt action export_stmt
%type <sl> proc_stmts fs_stmts egress_rules lim_stmts sc_stmts vm_stmts gv_stmts ev_stmts
%type <sl> secret_stmts ceil_stmts export_stmts
%type <sec> section
%type <secl> sections
%type <tgt> sc_target
%type <tl> sc_targets
%type <pred> pred
%type <pl> preds
%type <num> fs_kind cmp

%%

file
    : %empty
    | file top_item
    ;

top_item
    : KW_USE STRING ';'
        {
            struct ast_use *u = arena_alloc(A, sizeof *u);
            u->name = $2;
            u->loc = @1;
            struct ast_file *f = ctx->out;
            if (f->units && !f->use_after_unit) {
                f->use_after_unit = true;
                f->use_after_unit_loc = @1;
            }
            struct ast_use **pp = &f->uses;
            while (*pp) pp = &(*pp)->next;
            *pp = u;
        }
    | KW_CELL name '{' sections '}'
        {
            struct ast_unit *u = arena_alloc(A, sizeof *u);
            u->loc = @1; u->name = $2; u->sections = $4.head;
            struct ast_unit **pp = &ctx->out->units;
            while (*pp) pp = &(*pp)->next;
            *pp = u;
        }
    | KW_PACK STRING '{' sections '}'
        {
            struct ast_unit *u = arena_alloc(A, sizeof *u);
            u->is_pack = true; u->loc = @1; u->name = $2; u->sections = $4.head;
            struct ast_unit **pp = &ctx->out->units;
            while (*pp) pp = &(*pp)->next;
            *pp = u;
        }
    | error ';'         { yyerrok; }
    | error '}'         { yyerrok; }
    ;

name: word | STRING ;

sections
    : %empty                { $$.head = $$.tail = NULL; }
    | sections section      { $$ = $1; LIST_ADD($$, $2); }
    | sections error ';'    { $$ = $1; yyerrok; }
    ;

section
    : KW_BACKEND word ';'
        { $$ = mk_sec(ctx, SEC_ITEM, @1, mk_stmt1(ctx, AS_BACKEND, @1, $2)); }
    | KW_HOSTNAME STRING ';'
        { $$ = mk_sec(ctx, SEC_ITEM, @1, mk_stmt1(ctx, AS_HOSTNAME, @1, $2)); }
    | KW_LANDLOCK word ';'
        { $$ = mk_sec(ctx, SEC_ITEM, @1, mk_stmt1(ctx, AS_LANDLOCK, @1, $2)); }
    | KW_PROCESS '{' proc_stmts '}'     { $$ = mk_sec(ctx, SEC_PROCESS, @1, $3.head); }
    | KW_FILESYSTEM '{' fs_stmts '}'    { $$ = mk_sec(ctx, SEC_FILESYSTEM, @1, $3.head); }
    | KW_NETWORK KW_NONE ';'
        { $$ = mk_sec(ctx, SEC_NETWORK, @1, NULL); $$->net_mode = AN_NONE; $$->net_mode_loc = @2; }
    | KW_NETWORK KW_LOOPBACK ';'
        { $$ = mk_sec(ctx, SEC_NETWORK, @1, NULL); $$->net_mode = AN_LOOPBACK; $$->net_mode_loc = @2; }
    | KW_NETWORK KW_EGRESS '{' egress_rules '}'
        { $$ = mk_sec(ctx, SEC_NETWORK, @1, $4.head); $$->net_mode = AN_EGRESS; $$->net_mode_loc = @2; }
    | KW_LIMITS '{' lim_stmts '}'       { $$ = mk_sec(ctx, SEC_LIMITS, @1, $3.head); }
    | KW_SYSCALLS '{' sc_stmts '}'      { $$ = mk_sec(ctx, SEC_SYSCALLS, @1, $3.head); }
    | KW_VM '{' vm_stmts '}'            { $$ = mk_sec(ctx, SEC_VM, @1, $3.head); }
    | KW_GVISOR '{' gv_stmts '}'        { $$ = mk_sec(ctx, SEC_GVISOR, @1, $3.head); }
    | KW_EVENTS '{' ev_stmts '}'        { $$ = mk_sec(ctx, SEC_EVENTS, @1, $3.head); }
    | KW_SECRETS '{' secret_stmts '}'   { $$ = mk_sec(ctx, SEC_SECRETS, @1, $3.head); }
    | KW_CEILING '{' ceil_stmts '}'     { $$ = mk_sec(ctx, SEC_CEILING, @1, $3.head); }
    | KW_EXPORT '{' export_stmts '}'    { $$ = mk_sec(ctx, SEC_EXPORT, @1, $3.head); }
    | WORD '{' skip '}'
        {
            char q[80];
            diag_error(ctx->diag, @1, "unknown section '%s', expected one of: backend, hostname, "
                       "landlock, process, filesystem, network, limits, syscalls, vm, gvisor, events, "
                       "secrets, export, ceiling", diag_quote(q, sizeof q, $1->s, $1->len));
            ctx->syntax_errors++;
            $$ = NULL;
        }
    ;

/* The body of an unknown section, skipped with its braces balanced. */
skip
    : %empty
    | skip skip_tok
    | skip '{' skip '}'
    ;

skip_tok
    : word | STRING | NUMBER | GROUP | ADDR | ARROW | EQ | NE | LE | GE | ANDAND | OROR
    | '(' | ')' | ';' | ',' | '=' | ':' | '/' | '*' | '&' | '|' | '<' | '>' | '-'
    ;

/* ---- process ------------------------------------------------------------ */

proc_stmts
    : %empty                    { $$.head = $$.tail = NULL; }
    | proc_stmts proc_stmt      { $$ = $1; LIST_ADD($$, $2); }
    | proc_stmts error ';'      { $$ = $1; yyerrok; }
    ;

proc_stmt
    : KW_ARGV str_list ';'              { $$ = mk_stmt1(ctx, AS_ARGV, @1, $2.head); }
    | KW_EXTRA_ARGS ';'                 { $$ = mk_stmt(ctx, AS_EXTRA_ARGS, @1); }
    | KW_ENV word '=' STRING ';'
        { $$ = mk_stmt1(ctx, AS_ENV_SET, @1, $2); $$->vals2 = $4; }
    | KW_ENV KW_PASS word ';'           { $$ = mk_stmt1(ctx, AS_ENV_PASS, @1, $3); }
    | KW_CWD STRING ';'                 { $$ = mk_stmt1(ctx, AS_CWD, @1, $2); }
    | KW_USER NUMBER ';'                { $$ = mk_stmt1(ctx, AS_USER, @1, $2); }
    | KW_GROUP NUMBER ';'               { $$ = mk_stmt1(ctx, AS_GROUP, @1, $2); }
    | KW_UMASK NUMBER ';'               { $$ = mk_stmt1(ctx, AS_UMASK, @1, $2); }
    | KW_CAPABILITY word_list opt_unsafe ';'
        { $$ = mk_stmt1(ctx, AS_CAPABILITY, @1, $2.head); $$->opts = $3; }
    | KW_RLIMIT word rl_val ';'
        { $$ = mk_stmt1(ctx, AS_RLIMIT, @1, $2); $2->next = $3; }
    | KW_RLIMIT word rl_val ':' rl_val ';'
        { $$ = mk_stmt1(ctx, AS_RLIMIT, @1, $2); $2->next = $3; $$->vals2 = $5; }
    | KW_PASS_FD num_list ';'           { $$ = mk_stmt1(ctx, AS_PASS_FD, @1, $2.head); }
    ;

rl_val: NUMBER | word ;

/* ---- filesystem --------------------------------------------------------- */

fs_stmts
    : %empty                    { $$.head = $$.tail = NULL; }
    | fs_stmts fs_stmt          { $$ = $1; LIST_ADD($$, $2); }
    | fs_stmts error ';'        { $$ = $1; yyerrok; }
    ;

fs_stmt
    : fs_kind STRING fs_opts ';'
        { $$ = mk_stmt1(ctx, (enum ast_stmt_kind)$1, @1, $2); $$->opts = $3.head; }
    | KW_SYMLINK STRING ARROW STRING ';'
        { $$ = mk_stmt1(ctx, AS_SYMLINK, @1, $2); $$->vals2 = $4; }
    ;

fs_kind
    : KW_RO         { $$ = AS_RO; }
    | KW_RW         { $$ = AS_RW; }
    | KW_TMPFS      { $$ = AS_TMPFS; }
    | KW_WORKSPACE  { $$ = AS_WORKSPACE; }
    | KW_PROC       { $$ = AS_PROC; }
    | KW_DEV        { $$ = AS_DEV; }
    | KW_MASK       { $$ = AS_MASK; }
    | KW_DIR        { $$ = AS_DIR; }
    | KW_DEVICE     { $$ = AS_DEVICE; }
    ;

fs_opts
    : %empty                    { $$.head = $$.tail = NULL; }
    | fs_opts fs_opt            { $$ = $1; LIST_ADD($$, $2); }
    ;

fs_opt
    : KW_AT STRING              { $$ = mk_opt(ctx, AO_AT, @1, $2); }
    | KW_OPTIONAL               { $$ = mk_opt(ctx, AO_OPTIONAL, @1, NULL); }
    | KW_UNSAFE STRING          { $$ = mk_opt(ctx, AO_UNSAFE, @1, $2); }
    | KW_SIZE NUMBER            { $$ = mk_opt(ctx, AO_SIZE, @1, $2); }
    | KW_MODE NUMBER            { $$ = mk_opt(ctx, AO_MODE, @1, $2); }
    | KW_NOEXEC                 { $$ = mk_opt(ctx, AO_NOEXEC, @1, NULL); }
    ;

opt_unsafe
    : %empty                    { $$ = NULL; }
    | KW_UNSAFE STRING          { $$ = mk_opt(ctx, AO_UNSAFE, @1, $2); }
    ;

/* ---- network ------------------------------------------------------------ */

egress_rules
    : %empty                    { $$.head = $$.tail = NULL; }
    | egress_rules egress_rule  { $$ = $1; LIST_ADD($$, $2); }
    | egress_rules error ';'    { $$ = $1; yyerrok; }
    ;

/* vals: protocol word, target, [prefix]; vals2: port lo, [port hi];
 * opts: [any-name], [unsafe] */
egress_rule
    : proto_kw egress_target ':' port_spec opt_any_name opt_unsafe ';'
        {
            $$ = mk_stmt1(ctx, AS_EGRESS_RULE, @1, $1);
            $1->next = $2;
            $$->vals2 = $4.head;
            $$->opts = $5 ? $5 : $6;
            if ($5)
                $5->next = $6;
        }
    | proto_kw egress_target '/' NUMBER ':' port_spec opt_any_name opt_unsafe ';'
        {
            $$ = mk_stmt1(ctx, AS_EGRESS_RULE, @1, $1);
            $1->next = $2;
            $2->next = $4;
            $$->vals2 = $6.head;
            $$->opts = $7 ? $7 : $8;
            if ($7)
                $7->next = $8;
        }
    ;

opt_any_name
    : %empty                    { $$ = NULL; }
    | KW_ANY_NAME               { $$ = mk_opt(ctx, AO_ANY_NAME, @1, NULL); }
    ;

proto_kw: KW_TCP | KW_UDP ;

egress_target: STRING | ADDR | '*' ;

port_spec
    : NUMBER                    { $$ = vl_one($1); }
    | NUMBER '-' NUMBER         { $$ = vl_add(vl_one($1), $3); }
    ;

/* ---- limits ------------------------------------------------------------- */

lim_stmts
    : %empty                    { $$.head = $$.tail = NULL; }
    | lim_stmts lim_stmt        { $$ = $1; LIST_ADD($$, $2); }
    | lim_stmts error ';'       { $$ = $1; yyerrok; }
    ;

lim_stmt
    : KW_MEMORY NUMBER ';'      { $$ = mk_stmt1(ctx, AS_LIM_MEMORY, @1, $2); }
    | KW_PIDS NUMBER ';'        { $$ = mk_stmt1(ctx, AS_LIM_PIDS, @1, $2); }
    | KW_CPU NUMBER ';'         { $$ = mk_stmt1(ctx, AS_LIM_CPU, @1, $2); }
    | KW_WALL NUMBER ';'        { $$ = mk_stmt1(ctx, AS_LIM_WALL, @1, $2); }
    | KW_MEMORY_BE ';'          { $$ = mk_stmt(ctx, AS_LIM_MEMORY_BE, @1); }
    | KW_PIDS_BE ';'            { $$ = mk_stmt(ctx, AS_LIM_PIDS_BE, @1); }
    | KW_CPU_BE ';'             { $$ = mk_stmt(ctx, AS_LIM_CPU_BE, @1); }
    ;

/* ---- syscalls ----------------------------------------------------------- */

sc_stmts
    : %empty                    { $$.head = $$.tail = NULL; }
    | sc_stmts sc_stmt          { $$ = $1; LIST_ADD($$, $2); }
    | sc_stmts error ';'        { $$ = $1; yyerrok; }
    ;

sc_stmt
    : KW_DEFAULT action opt_unsafe ';'
        { $$ = $2; $$->kind = AS_SC_DEFAULT; $$->loc = @1; $$->opts = $3; }
    | action sc_targets opt_unsafe ';'
        { $$ = $1; $$->targets = $2.head; $$->opts = $3; }
    | KW_ABI word_list ';'      { $$ = mk_stmt1(ctx, AS_SC_ABI, @1, $2.head); }
    ;

action
    : KW_ALLOW          { $$ = mk_stmt(ctx, AS_SC_RULE, @1); $$->action = AA_ALLOW; $$->action_loc = @1; }
    | KW_KILL_THREAD    { $$ = mk_stmt(ctx, AS_SC_RULE, @1); $$->action = AA_KILL_THREAD; $$->action_loc = @1; }
    | KW_KILL_PROCESS   { $$ = mk_stmt(ctx, AS_SC_RULE, @1); $$->action = AA_KILL_PROCESS; $$->action_loc = @1; }
    | KW_ERRNO '(' errno_v ')'
        { $$ = mk_stmt(ctx, AS_SC_RULE, @1); $$->action = AA_ERRNO; $$->action_loc = @$; $$->errno_val = $3; }
    | KW_TRAP           { $$ = mk_stmt(ctx, AS_SC_RULE, @1); $$->action = AA_TRAP; $$->action_loc = @1; }
    | KW_LOG            { $$ = mk_stmt(ctx, AS_SC_RULE, @1); $$->action = AA_LOG; $$->action_loc = @1; }
    | KW_ENOSYS         { $$ = mk_stmt(ctx, AS_SC_RULE, @1); $$->action = AA_ENOSYS; $$->action_loc = @1; }
    | KW_USER_NOTIFY    { $$ = mk_stmt(ctx, AS_SC_RULE, @1); $$->action = AA_USER_NOTIFY; $$->action_loc = @1; }
    ;

errno_v: word | NUMBER ;

sc_targets
    : sc_target                 { $$.head = $$.tail = $1; }
    | sc_targets ',' sc_target  { $$ = $1; LIST_ADD($$, $3); }
    ;

sc_target
    : sc_name
        { $$ = arena_alloc(A, sizeof *$$); $$->name = $1; }
    | sc_name '(' ')'
        { $$ = arena_alloc(A, sizeof *$$); $$->name = $1; $$->has_parens = true; }
    | sc_name '(' preds ')'
        { $$ = arena_alloc(A, sizeof *$$); $$->name = $1; $$->preds = $3.head; }
    ;

sc_name: word | GROUP ;

preds
    : pred                      { $$.head = $$.tail = $1; }
    | preds ANDAND pred         { $$ = $1; LIST_ADD($$, $3); }
    ;

pred
    : word cmp vexpr
        {
            $$ = arena_alloc(A, sizeof *$$);
            $$->loc = @$; $$->op_loc = @2; $$->arg = $1; $$->op = (enum ast_cmp)$2; $$->value = $3.head;
        }
    | word '&' vexpr cmp vexpr
        {
            $$ = arena_alloc(A, sizeof *$$);
            $$->loc = @$; $$->op_loc = @4; $$->arg = $1; $$->op = (enum ast_cmp)$4;
            $$->mask = $3.head; $$->value = $5.head;
        }
    | word KW_IN '{' opt_set_vals '}'
        {
            $$ = arena_alloc(A, sizeof *$$);
            $$->loc = @$; $$->op_loc = @2; $$->arg = $1; $$->op = AC_IN; $$->set = $4.head;
        }
    | word KW_NOT KW_IN '{' opt_set_vals '}'
        {
            $$ = arena_alloc(A, sizeof *$$);
            $$->loc = @$; $$->op_loc = @2; $$->arg = $1; $$->op = AC_NOT_IN; $$->set = $5.head;
        }
    ;

cmp
    : EQ    { $$ = AC_EQ; }
    | NE    { $$ = AC_NE; }
    | '<'   { $$ = AC_LT; }
    | LE    { $$ = AC_LE; }
    | '>'   { $$ = AC_GT; }
    | GE    { $$ = AC_GE; }
    ;

vexpr
    : vatom                     { $$ = vl_one($1); }
    | vexpr '|' vatom           { $$ = vl_add($1, $3); }
    ;

vatom
    : NUMBER
    | word
    | '-' NUMBER
        {
            $$ = $2; $$->kind = AV_NEG_NUMBER;
            $$->loc.line = @1.line; $$->loc.col = @1.col;
        }
    ;

opt_set_vals
    : %empty                    { $$.head = $$.tail = NULL; }
    | set_vals
    ;

set_vals
    : vatom                     { $$ = vl_one($1); }
    | set_vals ',' vatom        { $$ = vl_add($1, $3); }
    ;

/* ---- vm, gvisor, events ------------------------------------------------- */

vm_stmts
    : %empty                    { $$.head = $$.tail = NULL; }
    | vm_stmts vm_stmt          { $$ = $1; LIST_ADD($$, $2); }
    | vm_stmts error ';'        { $$ = $1; yyerrok; }
    ;

vm_stmt
    : KW_VCPUS NUMBER ';'                   { $$ = mk_stmt1(ctx, AS_VM_VCPUS, @1, $2); }
    | KW_MEMORY NUMBER ';'                  { $$ = mk_stmt1(ctx, AS_VM_MEMORY, @1, $2); }
    | KW_KERNEL STRING KW_SHA256 STRING ';' { $$ = mk_stmt1(ctx, AS_VM_KERNEL, @1, $2); $$->vals2 = $4; }
    | KW_BOOTARGS STRING ';'                { $$ = mk_stmt1(ctx, AS_VM_BOOTARGS, @1, $2); }
    | KW_ROOTFS STRING KW_SHA256 STRING ';' { $$ = mk_stmt1(ctx, AS_VM_ROOTFS, @1, $2); $$->vals2 = $4; }
    | KW_INITRAMFS_LIMIT NUMBER ';'         { $$ = mk_stmt1(ctx, AS_VM_INITRAMFS_LIMIT, @1, $2); }
    ;

gv_stmts
    : %empty                    { $$.head = $$.tail = NULL; }
    | gv_stmts gv_stmt          { $$ = $1; LIST_ADD($$, $2); }
    | gv_stmts error ';'        { $$ = $1; yyerrok; }
    ;

gv_stmt
    : KW_PLATFORM word ';'      { $$ = mk_stmt1(ctx, AS_GV_PLATFORM, @1, $2); }
    ;

ev_stmts
    : %empty                    { $$.head = $$.tail = NULL; }
    | ev_stmts ev_stmt          { $$ = $1; LIST_ADD($$, $2); }
    | ev_stmts error ';'        { $$ = $1; yyerrok; }
    ;

ev_stmt
    : KW_SOURCE STRING ';'      { $$ = mk_stmt1(ctx, AS_EV_SOURCE, @1, $2); }
    | KW_SUBJECT STRING ';'     { $$ = mk_stmt1(ctx, AS_EV_SUBJECT, @1, $2); }
    | KW_KEY STRING ';'         { $$ = mk_stmt1(ctx, AS_EV_KEY, @1, $2); }
    | KW_REQUIRE KW_DELIVERED ';' { $$ = mk_stmt(ctx, AS_EV_REQUIRE_DELIVERED, @1); }
    | KW_SPEC_ID STRING ';'     { $$ = mk_stmt1(ctx, AS_EV_SPEC_ID, @1, $2); }
    | KW_CORRELATION_ID STRING ';' { $$ = mk_stmt1(ctx, AS_EV_CORRELATION_ID, @1, $2); }
    | KW_PACK_ID STRING ';'     { $$ = mk_stmt1(ctx, AS_EV_PACK_ID, @1, $2); }
    | KW_PACK_VERSION STRING ';' { $$ = mk_stmt1(ctx, AS_EV_PACK_VERSION, @1, $2); }
    ;

/* ---- secrets ------------------------------------------------------------ */

secret_stmts
    : %empty                        { $$.head = $$.tail = NULL; }
    | secret_stmts secret_stmt      { $$ = $1; LIST_ADD($$, $2); }
    | secret_stmts error ';'        { $$ = $1; yyerrok; }
    ;

/* vals: the name, then the source value; vals2: the target value;
 * from_kind / as_kind: the `env` or `file` keywords. */
secret_stmt
    : KW_SECRET word KW_FROM secret_end KW_AS secret_end ';'
        {
            $$ = mk_stmt1(ctx, AS_SECRET, @1, $2);
            $$->from_kind = $4.head; $2->next = $4.tail;
            $$->as_kind = $6.head; $$->vals2 = $6.tail;
            $4.head->next = NULL;
            $6.head->next = NULL;
        }
    ;

secret_end
    : KW_ENV word               { $$ = vl_add(vl_one($1), $2); }
    | KW_ENV STRING             { $$ = vl_add(vl_one($1), $2); }
    | KW_FILE STRING            { $$ = vl_add(vl_one($1), $2); }
    ;

/* ---- export (artifacts copied out after the workload) ------------------- */

export_stmts
    : %empty                        { $$.head = $$.tail = NULL; }
    | export_stmts export_stmt      { $$ = $1; LIST_ADD($$, $2); }
    | export_stmts error ';'        { $$ = $1; yyerrok; }
    ;

/* vals: the name, then the path in the cell; opts: max SIZE, required */
export_stmt
    : KW_ARTIFACT STRING KW_FROM STRING export_opts ';'
        { $$ = mk_stmt1(ctx, AS_ARTIFACT, @1, $2); $2->next = $4; $$->opts = $5.head; }
    ;

export_opts
    : %empty                        { $$.head = $$.tail = NULL; }
    | export_opts export_opt        { $$ = $1; LIST_ADD($$, $2); }
    ;

export_opt
    : KW_MAX NUMBER             { $$ = mk_opt(ctx, AO_SIZE, @1, $2); }
    | KW_REQUIRED               { $$ = mk_opt(ctx, AO_REQUIRED, @1, NULL); }
    ;

/* ---- ceiling (packs) ---------------------------------------------------- */

ceil_stmts
    : %empty                    { $$.head = $$.tail = NULL; }
    | ceil_stmts ceil_stmt      { $$ = $1; LIST_ADD($$, $2); }
    | ceil_stmts error ';'      { $$ = $1; yyerrok; }
    ;

ceil_stmt
    : KW_MEMORY NUMBER ';'          { $$ = mk_stmt1(ctx, AS_CEIL_MEMORY, @1, $2); }
    | KW_WALL NUMBER ';'            { $$ = mk_stmt1(ctx, AS_CEIL_WALL, @1, $2); }
    | KW_PIDS NUMBER ';'            { $$ = mk_stmt1(ctx, AS_CEIL_PIDS, @1, $2); }
    | KW_CPU NUMBER ';'             { $$ = mk_stmt1(ctx, AS_CEIL_CPU, @1, $2); }
    | KW_EGRESS KW_NONE ';'         { $$ = mk_stmt(ctx, AS_CEIL_EGRESS_NONE, @1); }
    | KW_EGRESS_HOSTS str_list ';'  { $$ = mk_stmt1(ctx, AS_CEIL_EGRESS_HOSTS, @1, $2.head); }
    | KW_REQUIRE word_list ';'      { $$ = mk_stmt1(ctx, AS_CEIL_REQUIRE, @1, $2.head); }
    ;

/* ---- lists and names ---------------------------------------------------- */

str_list
    : STRING                    { $$ = vl_one($1); }
    | str_list ',' STRING       { $$ = vl_add($1, $3); }
    ;

word_list
    : word                      { $$ = vl_one($1); }
    | word_list ',' word        { $$ = vl_add($1, $3); }
    ;

num_list
    : NUMBER                    { $$ = vl_one($1); }
    | num_list ',' NUMBER       { $$ = vl_add($1, $3); }
    ;

word
    : WORD
    | KW_ABI | KW_ALLOW | KW_ANY_NAME | KW_ARGV | KW_AS | KW_AT | KW_BACKEND | KW_BOOTARGS
    | KW_CAPABILITY | KW_CEILING | KW_CELL | KW_CPU | KW_CPU_BE | KW_CWD | KW_DEFAULT | KW_DELIVERED
    | KW_DEV | KW_DEVICE | KW_DIR | KW_EGRESS | KW_EGRESS_HOSTS | KW_ENOSYS | KW_ENV
    | KW_ERRNO | KW_EVENTS | KW_EXTRA_ARGS | KW_FILE | KW_FILESYSTEM | KW_FROM
    | KW_GROUP | KW_GVISOR | KW_HOSTNAME | KW_IN | KW_INITRAMFS_LIMIT | KW_KERNEL
    | KW_KEY | KW_KILL_PROCESS | KW_KILL_THREAD | KW_LANDLOCK | KW_LIMITS | KW_LOG | KW_LOOPBACK
    | KW_MASK | KW_MEMORY | KW_MEMORY_BE | KW_MODE | KW_NETWORK | KW_NOEXEC | KW_NONE
    | KW_NOT | KW_OPTIONAL | KW_PACK | KW_PASS | KW_PASS_FD | KW_PIDS | KW_PIDS_BE
    | KW_PLATFORM | KW_PROC | KW_PROCESS | KW_REQUIRE | KW_RLIMIT | KW_RO | KW_ROOTFS
    | KW_RW | KW_SECRET | KW_SECRETS | KW_SHA256 | KW_SIZE | KW_SOURCE | KW_SUBJECT
    | KW_SYMLINK | KW_SYSCALLS | KW_TCP | KW_TMPFS | KW_TRAP | KW_UDP | KW_UMASK
    | KW_UNSAFE | KW_USE | KW_USER | KW_USER_NOTIFY | KW_VCPUS | KW_VM | KW_WALL
    | KW_WORKSPACE | KW_SPEC_ID | KW_CORRELATION_ID | KW_PACK_ID | KW_PACK_VERSION
    | KW_EXPORT | KW_ARTIFACT | KW_MAX | KW_REQUIRED
    ;

%%

/* Bison's name of a token, as a user reads it: keywords and operators in
 * single quotes, token classes ("identifier", "string") as words. */
static const char *tok_display(yysymbol_kind_t sym, char *buf, size_t n)
{
    const char *s = yysymbol_name(sym);
    if (sym == YYSYMBOL_YYEOF)
        return "end of file";
    size_t len = strlen(s);
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        s++;
        len -= 2;
    } else if (len >= 3 && s[0] == '\'' && s[len - 1] == '\'') {
        snprintf(buf, n, "%s", s);
        return buf;
    }
    /* token classes are plain words */
    if (sym == YYSYMBOL_STRING || sym == YYSYMBOL_NUMBER || sym == YYSYMBOL_WORD ||
        sym == YYSYMBOL_GROUP || sym == YYSYMBOL_ADDR) {
        snprintf(buf, n, "%.*s", (int)len, s);
        return buf;
    }
    snprintf(buf, n, "'%.*s'", (int)len, s);
    return buf;
}

static bool is_keyword(yysymbol_kind_t sym)
{
    return sym >= YYSYMBOL_KW_ABI && sym <= YYSYMBOL_KW_WORKSPACE;
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
                                 struct parse_ctx *ctx)
{
    (void)scanner;
    enum { MAXEXP = YYNTOKENS };
    yysymbol_kind_t exp[MAXEXP];
    int n = yypcontext_expected_tokens(yyctx, exp, MAXEXP);
    if (n < 0)
        n = 0;
    yysymbol_kind_t la = yypcontext_token(yyctx);
    struct loc loc = *yypcontext_location(yyctx);

    /* Where a name is expected every keyword is too: say "identifier".
     * Where only some keywords are (the section level, which accepts an
     * identifier just to report an unknown section), list the keywords. */
    bool word_expected = false;
    int n_kw = 0;
    for (int i = 0; i < n; i++) {
        if (exp[i] == YYSYMBOL_WORD)
            word_expected = true;
        if (is_keyword(exp[i]))
            n_kw++;
    }
    int all_kw = YYSYMBOL_KW_WORKSPACE - YYSYMBOL_KW_ABI + 1;
    bool name_position = word_expected && n_kw == all_kw;
    const char *names[MAXEXP];
    char bufs[MAXEXP][48];
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (name_position && is_keyword(exp[i]))
            continue;
        if (word_expected && !name_position && exp[i] == YYSYMBOL_WORD)
            continue;
        if (exp[i] == YYSYMBOL_YYerror || exp[i] == YYSYMBOL_YYUNDEF)
            continue;
        names[k] = tok_display(exp[i], bufs[k], sizeof bufs[k]);
        k++;
    }

    char unexp[200], q[120];
    char tb[48];
    if (la == YYSYMBOL_YYEOF) {
        snprintf(unexp, sizeof unexp, "unexpected end of file");
    } else if (la == YYSYMBOL_STRING) {
        snprintf(unexp, sizeof unexp, "unexpected string \"%s\"",
                 diag_quote(q, 64, ctx->last_text ? ctx->last_text : "", ctx->last_len));
    } else if (la == YYSYMBOL_WORD || la == YYSYMBOL_NUMBER || la == YYSYMBOL_GROUP ||
               la == YYSYMBOL_ADDR) {
        snprintf(unexp, sizeof unexp, "unexpected %s '%s'", tok_display(la, tb, sizeof tb),
                 diag_quote(q, 64, ctx->last_text ? ctx->last_text : "", ctx->last_len));
    } else if (is_keyword(la)) {
        snprintf(unexp, sizeof unexp, "unexpected keyword %s", tok_display(la, tb, sizeof tb));
    } else {
        snprintf(unexp, sizeof unexp, "unexpected %s", tok_display(la, tb, sizeof tb));
    }

    /* "expected A, B or C" */
    char expbuf[2048];
    size_t o = 0;
    expbuf[0] = 0;
    for (int i = 0; i < k && o < sizeof expbuf - 64; i++) {
        const char *sep = i == 0 ? "" : i == k - 1 ? " or " : ", ";
        int w = snprintf(expbuf + o, sizeof expbuf - o, "%s%s", sep, names[i]);
        if (w > 0)
            o += (size_t)w;
    }
    const char *hint = "";
    if (la == YYSYMBOL_OROR)
        hint = " ('||' is not supported: write one rule per alternative)";
    if (k > 0)
        diag_error(ctx->diag, loc, "syntax error: %s, expected %s%s", unexp, expbuf, hint);
    else
        diag_error(ctx->diag, loc, "syntax error: %s%s", unexp, hint);
    diag_expected(ctx->diag, names, (size_t)k);
    ctx->syntax_errors++;
    return 0;
}

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_ctx *ctx, const char *msg)
{
    (void)scanner;
    diag_error(ctx->diag, *loc, "%s", msg);
    ctx->syntax_errors++;
}
