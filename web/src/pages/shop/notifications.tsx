import { useSearchParams } from 'react-router';
import type { NotificationPage } from '@emporium/contracts/notifications';
import { useApi } from '../../hooks.ts';
import { Empty } from '../../components/shop-empty.tsx';
import { Pager, pageOf } from '../../components/shop-pager.tsx';
import { DateTime } from '../../components/shop-time.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

/** The shopper's inbox: every message the shop sent them, newest first. */
export function Notifications() {
  const [params] = useSearchParams();
  const page = pageOf(params);
  const { data, error, loading, reload } = useApi<NotificationPage>(`/notifications?page=${page}&limit=20`);
  const messages = data ? [...data.data].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt)) : [];

  return (
    <div className="shop-inbox">
      <h1>Inbox</h1>
      {loading && !data ? <Loading what="Loading your messages" /> : error && !data ? <ErrorBox error={error} retry={reload} /> : messages.length === 0 ? (
        <Empty title="No messages yet.">
          <p className="muted">Order confirmations and updates will arrive here.</p>
        </Empty>
      ) : (
        <>
          {error && <ErrorBox error={error} retry={reload} />}
          <ul className="shop-messages">
            {messages.map((m) => (
              <li key={m.id} className="card">
                <article aria-labelledby={`msg-${m.id}`}>
                  <header className="shop-message-head">
                    <h2 id={`msg-${m.id}`}>{m.subject}</h2>
                    <span className="muted">
                      <DateTime iso={m.sentAt ?? m.createdAt} />
                      {!m.sentAt && <> · <span className="badge warn">Sending</span></>}
                    </span>
                  </header>
                  <p className="shop-message-body">{m.body}</p>
                </article>
              </li>
            ))}
          </ul>
          <Pager page={data!.pagination.page} pages={data!.pagination.pages} params={params} />
        </>
      )}
    </div>
  );
}
