/**
 * The development accounts with their well-known passwords: the admin that identity creates from
 * its development defaults, and the shopper that the launcher seeds. Production never lets them
 * sign in with these passwords.
 */
export const DEV_ACCOUNTS = {
  admin: { email: 'admin@emporium.dev', password: 'emporium-admin', name: 'Emporium Admin' },
  shopper: { email: 'shopper@emporium.dev', password: 'emporium-shopper', name: 'Sam Shopper' },
} as const;
