/** The apps' stylesheet: mobile-first, big touch targets, high contrast for bars and kitchens. */
export const APP_CSS = `
*{box-sizing:border-box}
html{font:16px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;-webkit-text-size-adjust:100%}
body{margin:0;background:#101418;color:#eef2f5}
a{color:#8fd3ff}
h1{font-size:1.15rem;margin:0;flex:1}
h2{font-size:1.05rem;margin:.2rem 0 .6rem}
kbd{font:600 .7rem ui-monospace,monospace;opacity:.75;border:1px solid currentColor;border-radius:4px;padding:0 .25rem;margin-left:.3rem}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem;padding:.5rem .8rem;background:#1b232b;position:sticky;top:0;z-index:2}
.bar a{text-decoration:none;font-size:1.3rem}
.bar select,.bar input{font-size:1rem;min-height:40px;background:#0d1115;color:inherit;border:1px solid #3a4753;border-radius:6px;padding:0 .4rem}
.dot{width:12px;height:12px;border-radius:50%;background:#a33;display:inline-block}
.dot.on{background:#2bb673}
.pad{padding:.8rem;max-width:1100px;margin:auto}
.btn{font:inherit;font-weight:600;min-height:48px;min-width:48px;padding:.4rem .9rem;border-radius:10px;border:1px solid #3a4753;background:#26313b;color:inherit;cursor:pointer;touch-action:manipulation}
.btn.small{min-height:40px}
.btn.big{min-height:64px;font-size:1.1rem;flex:1 1 30%}
.btn.primary{background:#1e7f4f;border-color:#2bb673}
.btn.danger{background:#8a2431;border-color:#d0475a}
.btn:disabled{opacity:.5}
.pos-main{display:flex;flex-direction:column;gap:.6rem;padding:.6rem}
.cats{display:flex;gap:.4rem;overflow-x:auto;padding-bottom:.4rem}
.cat{font:inherit;min-height:44px;padding:0 1rem;border-radius:22px;border:1px solid #3a4753;background:#1b232b;color:inherit}
.cat.on{background:#eef2f5;color:#101418}
.grid-tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(110px,1fr));gap:.5rem}
.tile{position:relative;font:inherit;color:#fff;background:var(--c,#345);border:0;border-radius:12px;min-height:92px;padding:.5rem;text-align:left;display:flex;flex-direction:column;justify-content:space-between;cursor:pointer;touch-action:manipulation;overflow:hidden;word-break:break-word}
.tile[hidden]{display:none}
.tile:active{transform:scale(.97)}
.tile .label{font-weight:700}
.tile .price{font-size:1.1rem}
.tile .mprice{font-size:.75rem;opacity:.85}
.tile .k{position:absolute;top:4px;right:6px;font-size:.7rem;opacity:.7}
.tile .age{position:absolute;bottom:6px;right:6px;background:#d0475a;border-radius:6px;padding:0 .3rem;font-size:.75rem;font-weight:700}
.cart{background:#1b232b;border-radius:12px;padding:.6rem;display:flex;flex-direction:column;gap:.5rem}
.lines{list-style:none;margin:0;padding:0;max-height:40vh;overflow:auto}
.lines li{display:grid;grid-template-columns:1fr auto auto;gap:.3rem .5rem;align-items:center;padding:.35rem 0;border-bottom:1px solid #2b3640}
.lines li .lnote{grid-column:1/4;font-size:.85rem;background:#0d1115;color:inherit;border:1px solid #2b3640;border-radius:6px;min-height:34px;padding:0 .4rem}
.lines .qty{display:flex;align-items:center;gap:.3rem}
.lines .qty button{min-width:40px;min-height:40px;border-radius:8px;border:1px solid #3a4753;background:#26313b;color:inherit;font-size:1.1rem}
.note,.tendered{font:inherit;min-height:44px;border-radius:8px;border:1px solid #3a4753;background:#0d1115;color:inherit;padding:0 .5rem}
.total{display:flex;justify-content:space-between;font-size:1.5rem}
.remaining{color:#ffcf5a}
.actions{display:flex;flex-wrap:wrap;gap:.5rem}
.msg{min-height:1.2rem;color:#ffcf5a}
.pay-actions{position:sticky;bottom:0;background:#1b232b;padding:.4rem 0;z-index:1}
.recent ol{list-style:none;padding:0;margin:.4rem 0}
.recent li{display:flex;gap:.5rem;align-items:center;padding:.3rem 0;border-bottom:1px solid #2b3640}
.recent li .st{font-size:.8rem;padding:.1rem .4rem;border-radius:6px;background:#26313b}
.recent li.voided{opacity:.55;text-decoration:line-through}
.overlay{position:fixed;inset:0;background:rgba(0,0,0,.7);display:flex;align-items:center;justify-content:center;z-index:10;padding:1rem}
.overlay[hidden]{display:none}
.scan-video{display:block;width:min(80vw,420px);aspect-ratio:4/3;border-radius:8px;background:#000;margin:.5rem auto}
.scan-video[hidden]{display:none}
.panel{background:#1b232b;border-radius:16px;padding:1.2rem;min-width:min(420px,100%);max-width:560px;text-align:center;display:flex;flex-direction:column;gap:.8rem}
.panel input{font:inherit;min-height:48px;border-radius:8px;border:1px solid #3a4753;background:#0d1115;color:inherit;padding:0 .5rem}
.ov-title{font-size:2rem;font-weight:800;margin:0}
.overlay.ok .panel{background:#155d3a}
.overlay.ko .panel{background:#7a1f2b}
.overlay.wait .panel{background:#1f3b5c}
.balance{font-size:1.4rem;font-weight:700}
.toasts{position:fixed;bottom:3.2rem;right:.6rem;display:flex;flex-direction:column;gap:.4rem;z-index:11}
.toast{background:#eef2f5;color:#101418;border-radius:10px;padding:.6rem .9rem;font-weight:600;box-shadow:0 4px 16px rgba(0,0,0,.4)}
.help{font-size:.8rem;opacity:.6;padding:.4rem .8rem}
table.grid{border-collapse:collapse;width:100%;margin-bottom:.8rem}
table.grid td,table.grid th{border-bottom:1px solid #2b3640;padding:.35rem .4rem;text-align:left}
table.grid .num{text-align:right;font-variant-numeric:tabular-nums}
tr.low td{color:#ff8a8a}
.adjust{display:flex;gap:.3rem;flex-wrap:wrap}
.adjust input{font:inherit;min-height:40px;width:7rem;background:#0d1115;color:inherit;border:1px solid #3a4753;border-radius:6px}
.card{background:#1b232b;border-radius:12px;padding:.8rem;margin-bottom:.8rem}
.chart text{fill:#eef2f5;font-size:12px}
.chart rect{fill:#2bb673}
.close input{font:inherit;min-height:44px;width:8rem;background:#0d1115;color:inherit;border:1px solid #3a4753;border-radius:6px}
.home{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.8rem}
.home a{display:block;padding:1.2rem;border-radius:12px;background:#1b232b;text-decoration:none;font-size:1.2rem;font-weight:700;min-height:80px}
.kds{background:#0b0e11}
.tickets{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:.6rem;padding:.6rem;align-items:start}
.ticket{background:#1b232b;border-radius:12px;border-top:8px solid #2bb673;padding:.6rem;display:flex;flex-direction:column;gap:.4rem;cursor:pointer;touch-action:manipulation}
.ticket.warn{border-top-color:#ffb020}
.ticket.late{border-top-color:#e5484d}
.ticket.s-preparing{background:#1f3b5c}
.ticket.s-ready{background:#155d3a}
.ticket h3{margin:0;display:flex;justify-content:space-between;font-size:1rem}
.ticket ul{margin:0;padding-left:1.1rem;font-size:1.15rem}
.ticket .lnote,.ticket .tnote{color:#ffcf5a;font-style:italic;font-size:.95rem}
.ticket .state{font-weight:700;text-transform:uppercase;font-size:.8rem}
.pill{background:#26313b;border-radius:12px;padding:.1rem .6rem}
@media (min-width:900px){.pos-main{flex-direction:row;align-items:flex-start}.catalog{flex:1}.cart{width:380px;position:sticky;top:4rem}}
.room-main{display:flex;flex-direction:column;gap:.6rem;padding:.6rem}
.plan-wrap{flex:1;min-width:0}
.plan{position:relative;width:100%;aspect-ratio:4/3;background:#161d24;border:1px dashed #3a4753;border-radius:12px;overflow:hidden;touch-action:none}
.plan.editing{background-image:linear-gradient(#22303b 1px,transparent 1px),linear-gradient(90deg,#22303b 1px,transparent 1px);background-size:5% 5%}
.rtable{position:absolute;font:inherit;color:inherit;border:2px solid #3a4753;border-radius:10px;background:#26313b;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:.1rem;padding:.2rem;cursor:pointer;min-width:44px;min-height:44px;touch-action:none;overflow:hidden}
.rtable.round{border-radius:50%}
.rtable.busy{background:#1f3b5c;border-color:#5aa9ff}
.rtable.ready{background:#155d3a;border-color:#2bb673;animation:pulse 1s infinite alternate}
.rtable.sel{outline:3px solid #ffcf5a}
.rtable .rinfo{font-size:.75rem;opacity:.85}
@keyframes pulse{to{filter:brightness(1.3)}}
.tabpanel{display:flex;flex-direction:column;gap:.5rem}
.tabpanel[hidden],.editor[hidden]{display:none}
.editor fieldset{border:0;padding:0;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.editor input,.editor select{font:inherit;min-height:44px;background:#0d1115;color:inherit;border:1px solid #3a4753;border-radius:6px;padding:0 .4rem;max-width:9rem}
.seats{display:flex;flex-wrap:wrap;gap:.3rem}
.seat{font:inherit;min-height:44px;min-width:44px;padding:0 .7rem;border-radius:22px;border:1px solid #3a4753;background:#1b232b;color:inherit}
.seat.on{background:#eef2f5;color:#101418}
.seat.paid{opacity:.55;text-decoration:line-through}
.grid-tiles.small{grid-template-columns:repeat(auto-fill,minmax(90px,1fr))}
.grid-tiles.small .tile{min-height:64px}
#tlines li{grid-template-columns:1fr auto auto auto}
#tlines li.unsent .st{color:#ffcf5a}
.ktickets{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:.3rem}
.ktickets li{display:flex;justify-content:space-between;align-items:center;padding:.2rem .4rem;border-radius:8px;background:#26313b}
.ktickets li.s-ready{background:#155d3a}
#tto{font:inherit;min-height:40px;background:#0d1115;color:inherit;border:1px solid #3a4753;border-radius:6px}
@media (min-width:900px){.room-main{flex-direction:row;align-items:flex-start}.tabpanel{width:420px;position:sticky;top:4rem;max-height:calc(100vh - 5rem);overflow:auto}}
`;
