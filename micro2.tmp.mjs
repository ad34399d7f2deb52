import { makeDecoder } from './dist/src/engine/encoding.js';
import iconv from 'iconv-lite';
const N = 8*1024*1024; const buf = Buffer.allocUnsafe(N); let a=1; for (let i=0;i<N;i++){a=(a*1103515245+12345)>>>0; buf[i]=a>>>24;}
const parts=[]; for (let i=0;i<N;i+=65536) parts.push(buf.subarray(i,i+65536));
const fs = { atascii: makeDecoder('atascii','replace'), petscii: makeDecoder('petscii','replace'), cp437: iconv.getDecoder('cp437') };
const best = {};
for (let r=0;r<15;r++) for (const [k,d] of Object.entries(fs)) { const c=process.cpuUsage(); for (const p of parts) d.write(p); const u=process.cpuUsage(c); const v=(u.user+u.system)/1000/8; best[k]=Math.min(best[k]??1e9,v); }
console.log(Object.entries(best).map(([k,v])=>`${k} ${v.toFixed(2)}`).join('  '));
