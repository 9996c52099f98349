// Next.js runs `register` once when the server starts: the Node.js part checks the environment.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { checkEnvironmentOrExit, startWebhookDelivery } = await import("./instrumentation-node");
    await checkEnvironmentOrExit();
    await startWebhookDelivery();
  }
}
