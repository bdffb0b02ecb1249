// Filling a folder with many secrets, straight through Vault's API, many at a time.

export async function seedKeys(addr: string, token: string, mount: string, folder: string, count: number, concurrency = 48): Promise<number> {
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const name = `key-${String(index).padStart(6, "0")}`;
      const response = await fetch(`${addr}/v1/${mount}/${folder}${name}`, {
        method: "POST",
        headers: { "x-vault-token": token, "content-type": "application/json" },
        body: JSON.stringify({ value: `v${index}` }),
      });
      if (!response.ok) throw new Error(`seeding ${name}: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Date.now() - started;
}
