// The official Wix JavaScript SDK, pointed at the sandbox: every call here must work unchanged.
// The SDK always calls https://www.wixapis.com, so fetch is redirected to SANDBOX_URL.
const base = process.env.SANDBOX_URL;
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = (typeof input === "string" ? input : input.url).replace(/^https:\/\/(www|edge)\.wixapis\.com/, base);
  return realFetch(typeof input === "string" ? url : new Request(url, input), init);
};

const { createClient, ApiKeyStrategy, AppStrategy } = await import("@wix/sdk");
const { balances, pools, transactions } = await import("@wix/benefit-programs");
const { members } = await import("@wix/members");
const modules = { balances, pools, transactions, members };

const out = {};
const viaKey = createClient({
  modules,
  auth: ApiKeyStrategy({ apiKey: process.env.API_KEY, siteId: process.env.SITE_ID }),
});

const page = await viaKey.members.queryMembers({ fieldsets: ["FULL"] }).limit(5).find();
const publicPage = await viaKey.members.queryMembers().limit(1).find();
out.publicHidesEmail = publicPage.items[0].loginEmail === undefined;
out.memberIds = page.items.map((m) => m._id);
out.firstMemberEmail = page.items[0].loginEmail;
const memberId = process.env.MEMBER_ID;
const memberPools = await viaKey.pools.queryPools().eq("beneficiary.memberId", memberId).limit(100).find();
out.poolIds = memberPools.items.map((p) => p._id).sort();
const poolId = process.env.POOL_ID;
const balance = await viaKey.balances.getBalance(poolId);
out.balance = { available: balance.amount.available, reserved: balance.amount.reserved, revision: balance.revision };

const allActive = [];
let cursorPage = await viaKey.pools.queryPools().eq("status", "ACTIVE").limit(20).find();
allActive.push(...cursorPage.items);
while (cursorPage.hasNext()) {
  cursorPage = await cursorPage.next();
  allActive.push(...cursorPage.items);
}
out.activePoolCount = allActive.length;

const history = await viaKey.transactions.queryTransactions().eq("pool.id", poolId).descending("_createdDate").limit(50).find();
out.transactionCount = history.items.length;

const changed = await viaKey.balances.changeBalance(poolId, "sdk-check-1", {
  type: "ADJUST",
  adjustOptions: { value: "2" },
  transactionDetails: { reason: "SDK check" },
});
out.changed = { available: changed.balance.amount.available, transactionId: changed.transactionId };
// The SDK sends the write's X-Wix-Consistent header back, so this read sees the change even while reads lag.
out.reread = (await viaKey.balances.getBalance(poolId)).amount.available;

try {
  await viaKey.balances.getBalance("0b7e2a51-93c4-4d8e-a1f6-7c2d9e4b5a38");
  out.notFound = "no error";
} catch (error) {
  out.notFound = { status: error.details?.applicationError ? "applicationError" : "other", message: String(error.message) };
}

const viaApp = createClient({
  modules,
  auth: AppStrategy({ appId: process.env.APP_ID, appSecret: process.env.APP_SECRET, instanceId: process.env.INSTANCE_ID }),
});
const appPage = await viaApp.members.queryMembers().limit(1).find();
out.appMemberId = appPage.items[0]._id;

console.log(JSON.stringify(out));
