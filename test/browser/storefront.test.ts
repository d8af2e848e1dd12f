import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { IN_CI } from '@emporium/testing';
import { ApiClient } from '../../tools/src/api-client.ts';
import { startEmbedded, type EmbeddedPlatform } from '../../tools/src/embedded.ts';
import { seedDemo } from '../../tools/src/seed/seed.ts';
import { DEV_ACCOUNTS } from '../../tools/src/services.ts';
import { ensureWebBuilt } from '../../tools/src/web.ts';
import { CHROMIUM, launch, screenshot, signIn } from './browser.ts';

const suite = CHROMIUM || IN_CI ? describe : describe.skip;
const title = CHROMIUM ? 'the web app in Chromium' : 'the web app in Chromium — skipped: Chromium is not installed (apt-get install chromium)';

suite(title, () => {
  let dataDir: string;
  let platform: EmbeddedPlatform;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    await ensureWebBuilt(() => {});
    dataDir = await mkdtemp(join(tmpdir(), 'emporium-browser-'));
    platform = await startEmbedded({ DATA_DIR: dataDir, PORT: '0', SERVICE_PORT_BASE: '0', LOG_LEVEL: 'silent' });
    await seedDemo(platform.gatewayUrl, () => {});
    base = platform.gatewayUrl;
    browser = await launch();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** A fresh browser session (its own localStorage), on a desktop or a phone-sized screen. */
  const session = async (phone = false): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext(phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } });
    // Shorter than the test's own timeout, so a missing element fails with its locator named.
    context.setDefaultTimeout(10_000);
    return { context, page: await context.newPage() };
  };

  /** A new shopper, registered through the API, signed in through the page. */
  const shopper = async (page: Page) => {
    const email = `browser-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const res = await new ApiClient(base).post('/api/v1/auth/register', { email, password: 'correct horse battery', name: 'Browser Buyer' });
    expect(res.status).toBe(201);
    await signIn(page, base, email, 'correct horse battery');
  };

  /** Opens a product page from the search and adds `quantity` to the cart. */
  const addToCart = async (page: Page, search: string) => {
    await page.goto(`${base}/products`);
    await page.getByLabel('Search products').fill(search);
    const card = page.getByRole('link', { name: new RegExp(search, 'i') }).first();
    await card.click();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText(/added/i).first().waitFor();
  };

  /** Checks out the cart with `card` and returns the order page. */
  const checkout = async (page: Page, card: string) => {
    await page.goto(`${base}/checkout`);
    await page.getByLabel('Name', { exact: true }).fill('Browser Buyer');
    await page.getByLabel(/address line 1|street|line 1/i).fill('1 Test Street');
    await page.getByLabel('City').fill('Springfield');
    await page.getByLabel(/postal code/i).fill('12345');
    await page.getByLabel(/card number/i).fill(card);
    // Shipping is quoted for the country and charged: standard is chosen, and its price is in the summary.
    await page.getByRole('radio', { name: /Standard · Emporium Post/ }).waitFor();
    expect(await page.getByRole('radio', { name: /Standard/ }).isChecked()).toBe(true);
    await expect.poll(async () => page.getByTestId('summary-shipping').textContent()).toMatch(/Standard.*\$\d+\.\d\d/);
    await screenshot(page, 'browser-checkout');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
  };

  it('lets a shopper search, fill the cart with two products, check out, and watch the order turn CONFIRMED live', async () => {
    const { context, page } = await session();
    await shopper(page);
    await addToCart(page, 'espresso');
    await addToCart(page, 'mug');
    await page.goto(`${base}/cart`);
    await expect.poll(async () => page.getByRole('spinbutton').count()).toBeGreaterThanOrEqual(2);
    await checkout(page, '4242424242424242');
    const status = page.getByTestId('order-status');
    // PENDING first, then CONFIRMED pushed over Server-Sent Events without a reload.
    await expect.poll(async () => status.textContent(), { timeout: 20_000 }).toMatch(/CONFIRMED/);
    // The payment and shipment panels follow the live status, with no reload by the shopper.
    await expect.poll(async () => page.getByTestId('payment-status').textContent(), { timeout: 15_000 }).toBe('Captured');
    await expect.poll(async () => page.getByTestId('shipment-pending').count(), { timeout: 15_000 }).toBe(0);
    expect(await page.getByText('Scheduled once the payment is authorized.').count()).toBe(0);
    await screenshot(page, 'browser-order-confirmed');
    await context.close();
  });

  it('registers a shopper through the page, and shows the reason when their card is declined', async () => {
    const { context, page } = await session(true);
    await page.goto(`${base}/register`);
    await page.getByLabel('Name').fill('Phone Buyer');
    await page.getByLabel('Email').fill(`phone-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await addToCart(page, 'kettle');
    await checkout(page, '4000000000000002');
    await expect.poll(async () => page.getByTestId('order-status').textContent(), { timeout: 20_000 }).toMatch(/CANCELLED/);
    expect(await page.getByTestId('cancellation-reason').textContent()).toContain('payment declined');
    await screenshot(page, 'browser-order-declined-phone');
    await context.close();
  });

  it("lets an admin create a product that then appears in a shopper's search", async () => {
    const admin = await session();
    await signIn(admin.page, base, DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
    await admin.page.goto(`${base}/admin`);
    await admin.page.getByRole('button', { name: 'New product' }).click();
    const name = `Quokka Teapot ${Date.now()}`;
    await admin.page.getByLabel('SKU').fill(`QT-${Date.now()}`);
    await admin.page.getByLabel('Name', { exact: true }).fill(name);
    await admin.page.getByLabel('Description').fill('A teapot made in a browser test.');
    await admin.page.getByLabel('Price (USD)').fill('24.50');
    await admin.page.getByLabel('Category').selectOption({ index: 1 });
    await admin.page.getByLabel('Initial stock').fill('5');
    await admin.page.getByRole('button', { name: 'Create product' }).click();
    await admin.page.getByText(name).first().waitFor();
    await screenshot(admin.page, 'browser-admin-product-created');

    const shop = await session();
    await shop.page.goto(`${base}/products`);
    await shop.page.getByLabel('Search products').fill('quokka');
    await shop.page.getByRole('link', { name: new RegExp(name) }).waitFor({ timeout: 15_000 });
    await screenshot(shop.page, 'browser-search-finds-new-product');
    await admin.context.close();
    await shop.context.close();
  });

  it('shows an admin the console with every service healthy', async () => {
    const { context, page } = await session();
    await signIn(page, base, DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
    await page.goto(`${base}/console`);
    const services = page.getByTestId('services');
    await services.waitFor();
    for (const name of ['identity', 'catalog', 'inventory', 'cart', 'orders', 'payments', 'shipping', 'notifications', 'recommendations']) {
      await expect.poll(async () => page.getByTestId(`service-${name}`).textContent(), { timeout: 15_000 }).toMatch(/ok|healthy|up/i);
    }
    await screenshot(page, 'browser-console');
    await context.close();
  });

  it('shows an admin recent traces, and one as a waterfall across the services', async () => {
    const { context, page } = await session();
    // Signing in is itself a trace: the gateway, then identity.
    await signIn(page, base, DEV_ACCOUNTS.admin.email, DEV_ACCOUNTS.admin.password);
    await page.goto(`${base}/console/traces?q=${encodeURIComponent('/auth/login')}`);
    await page.getByTestId('traces').getByRole('button', { name: /Show the waterfall/ }).first().click();
    const waterfall = page.getByTestId('waterfall');
    await waterfall.waitFor();
    await expect.poll(async () => waterfall.locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    expect(await waterfall.textContent()).toMatch(/gateway[\s\S]*identity/);
    await screenshot(page, 'browser-console-traces');
    await context.close();
  });

  it('refuses a customer who opens an admin page', async () => {
    const { context, page } = await session();
    await shopper(page);
    for (const path of ['/admin', '/console']) {
      await page.goto(`${base}${path}`);
      await page.getByRole('heading', { name: 'Access refused' }).waitFor();
    }
    await screenshot(page, 'browser-admin-refused');
    await context.close();
  });
});
