import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, tokenStore } from './api.ts';

/** The signed-in user, as GET /users/me answers. */
export interface User {
  id: string;
  email: string;
  name: string;
  roles: string[];
}

interface AuthState {
  user: User | null;
  /** False until the stored token has been checked. */
  ready: boolean;
  isAdmin: boolean;
  signIn(email: string, password: string): Promise<void>;
  register(name: string, email: string, password: string): Promise<void>;
  signOut(): void;
}

const AuthContext = createContext<AuthState | null>(null);

/** Holds who is signed in: a token in localStorage, checked against /users/me on load. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [ready, setReady] = useState(false);

  const loadMe = useCallback(async () => {
    if (!tokenStore.get()) {
      setUser(null);
      return;
    }
    try {
      setUser(await api<User>('/users/me'));
    } catch (err) {
      // An expired or revoked token signs the user out; anything else keeps them signed in.
      if (err instanceof ApiError && err.status === 401) tokenStore.set(null);
      setUser(null);
    }
  }, []);

  useEffect(() => {
    void loadMe().finally(() => setReady(true));
  }, [loadMe]);

  const value = useMemo<AuthState>(() => ({
    user,
    ready,
    isAdmin: user?.roles.includes('admin') ?? false,
    async signIn(email, password) {
      const res = await api<{ accessToken: string }>('/auth/login', { method: 'POST', body: { email, password } });
      tokenStore.set(res.accessToken);
      await loadMe();
    },
    async register(name, email, password) {
      const res = await api<{ accessToken: string }>('/auth/register', { method: 'POST', body: { name, email, password } });
      tokenStore.set(res.accessToken);
      await loadMe();
    },
    signOut() {
      tokenStore.set(null);
      setUser(null);
    },
  }), [user, ready, loadMe]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/** Who is signed in, and how to sign in and out. */
export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth needs an AuthProvider');
  return state;
}
