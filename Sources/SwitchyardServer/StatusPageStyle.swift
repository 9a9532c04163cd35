/// The status page's inline stylesheet: a table on wide screens, one card per target
/// below 760 px, light and dark colour schemes, state colours shared by rows and events.
enum StatusPageStyle {
    static let css = """
        :root{color-scheme:light dark;--bg:#f5f6f8;--fg:#1c2230;--muted:#5f6b7a;--card:#fff;--line:#e2e5ea;\
        --ok:#1a7f37;--warn:#b26a00;--bad:#c62828;--rl:#8250df;--drain:#0969da;--unk:#8c959f;--spark:#0969da}
        @media (prefers-color-scheme:dark){:root{--bg:#0e1117;--fg:#e6e9ef;--muted:#9aa4b2;--card:#161b22;--line:#2b313b;\
        --ok:#3fb950;--warn:#d29922;--bad:#f85149;--rl:#a371f7;--drain:#58a6ff;--spark:#58a6ff}}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;background:var(--bg);color:var(--fg)}
        header{padding:14px 20px;background:var(--card);border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center}
        h1{font-size:20px;margin:0 4px 0 0}
        h2{font-size:15px;margin:22px 0 8px}
        main{padding:0 20px 20px;max-width:1400px;margin:0 auto}
        a{color:var(--drain)}
        .meta,.note,footer{color:var(--muted)}
        footer{margin-top:20px;font-size:12px}
        .badge{padding:2px 10px;border-radius:999px;font-weight:600;font-size:13px;color:#fff}
        .b-ready{background:var(--ok)}.b-notready{background:var(--bad)}
        .problem{flex-basis:100%;margin:0;color:var(--bad);overflow-wrap:anywhere}
        .table{background:var(--card);border:1px solid var(--line);border-radius:8px;overflow-x:auto}
        table{width:100%;border-collapse:collapse}
        th,td{padding:8px 10px;text-align:left;border-bottom:1px solid var(--line);vertical-align:middle}
        tbody tr:last-child td{border-bottom:0}
        th{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;white-space:nowrap}
        .num{font-variant-numeric:tabular-nums;white-space:nowrap}
        tr.target>td:first-child{box-shadow:inset 4px 0 0 var(--c)}
        tr.task-group th{text-align:left;padding-top:14px;color:var(--fg,inherit);font-size:12px}
        .t-healthy{--c:var(--ok)}.t-degraded{--c:var(--warn)}.t-rate_limited{--c:var(--rl)}.t-ejected{--c:var(--bad)}.t-draining{--c:var(--drain)}.t-unknown{--c:var(--unk)}
        .provider{font-weight:600;white-space:nowrap}.model{color:var(--muted);white-space:nowrap}
        .price{white-space:nowrap}
        .upstream{display:block;font-size:12px;color:var(--muted);overflow-wrap:anywhere}
        .caps{display:block;font-size:12px;color:var(--muted)}
        .state{display:inline-flex;align-items:center;gap:6px;font-weight:600;white-space:nowrap}
        .state::before{content:"";width:9px;height:9px;border-radius:50%;background:currentColor}
        .s-healthy{color:var(--ok)}.s-degraded{color:var(--warn)}.s-rate_limited{color:var(--rl)}.s-ejected{color:var(--bad)}.s-draining{color:var(--drain)}.s-unknown{color:var(--unk)}
        .since{display:block;font-size:12px;color:var(--muted)}
        .error{max-width:340px;font-size:13px}
        .error-class{font-weight:600;color:var(--bad)}.none{color:var(--muted)}
        .message{display:block;color:var(--muted);overflow-wrap:anywhere}
        .spark{display:block}
        .spark .latency{fill:none;stroke:var(--spark);stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
        .spark .ok{fill:var(--ok)}.spark .warn{fill:var(--warn)}.spark .bad{fill:var(--bad)}.spark .strip-empty{fill:var(--line)}
        .spark text{fill:var(--muted);font-size:10px;font-family:inherit}
        ol.events{list-style:none;margin:0;padding:0;background:var(--card);border:1px solid var(--line);border-radius:8px}
        li.event{display:flex;flex-wrap:wrap;gap:2px 12px;padding:7px 12px;border-bottom:1px solid var(--line)}
        li.event:last-child{border-bottom:0}
        li.event time{font-variant-numeric:tabular-nums;color:var(--muted)}
        .target-name{font-weight:600}
        .reason{color:var(--muted);overflow-wrap:anywhere}
        .failed{color:var(--bad)}
        @media (max-width:760px){
        header,main{padding-left:12px;padding-right:12px}
        .table{background:none;border:0;overflow:visible}
        thead{display:none}
        table,tbody,tr,td{display:block;width:100%}
        tr.target{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0 0 10px;box-shadow:inset 4px 0 0 var(--c);padding:6px 0}
        tr.target>td:first-child{box-shadow:none}
        tr.gw{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:6px 0}
        td{border:0;padding:3px 12px 3px 16px;display:flex;justify-content:space-between;align-items:center;gap:12px;max-width:none}
        td::before{content:attr(data-label);color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em;flex-shrink:0}
        td>*{text-align:right}
        td.error{max-width:none}
        td:first-child{font-size:15px}
        li.event{flex-direction:column}
        }
        """
}
