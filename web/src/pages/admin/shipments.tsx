import { useState } from 'react';
import { Link } from 'react-router';
import type { Shipment, ShipmentPage, ShipmentStatus } from '@emporium/contracts/shipping';
import { api } from '../../api.ts';
import { useApi } from '../../hooks.ts';
import { ActionButton } from '../../components/admin-action.tsx';
import { EmptyList, Pager, queryString, StatusFilter, TableWrap, useListParams } from '../../components/admin-list.tsx';
import { AdminHeader } from '../../components/admin-nav.tsx';
import { formatDateTime, ShortId, StatusBadge } from '../../components/admin-status.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';

const STATUSES: readonly ShipmentStatus[] = ['scheduled', 'dispatched', 'delivered', 'cancelled'];

/** Every shipment, newest first, filtered by status, with Dispatch and Deliver to move each one on. */
export function AdminShipments() {
  const list = useListParams();
  const status = list.get('status');
  const shipments = useApi<ShipmentPage>(`/shipments${queryString({ status, page: list.page })}`);
  // Rows moved on here, shown as the API answered until the list is loaded again.
  const [moved, setMoved] = useState<Record<string, Shipment>>({});
  const [notice, setNotice] = useState('');

  const reload = () => {
    setMoved({});
    shipments.reload();
  };
  const onMoved = (s: Shipment) => {
    setMoved((m) => ({ ...m, [s.id]: s }));
    setNotice(`Shipment ${s.trackingNumber} is ${s.status}.`);
  };

  return (
    <div className="admin">
      <AdminHeader title="Shipments" />
      <div className="admin-toolbar">
        <StatusFilter value={status} options={STATUSES} onChange={(s) => { setMoved({}); list.update({ status: s }); }} />
        <button type="button" className="secondary" onClick={reload}>Refresh</button>
      </div>
      <p className="admin-live" role="status">{notice}</p>
      {!shipments.data ? (
        shipments.error ? <ErrorBox error={shipments.error} retry={reload} /> : <Loading what="Loading shipments" />
      ) : (
        <>
          {shipments.error && <ErrorBox error={shipments.error} retry={reload} />}
          {shipments.data.data.length === 0 ? (
            <EmptyList page={list.page} onFirstPage={() => list.setPage(1)}>{status ? `No shipment is ${status}.` : 'There are no shipments yet.'}</EmptyList>
          ) : (
            <>
              <ShipmentTable shipments={shipments.data.data.map((s) => moved[s.id] ?? s)} busy={shipments.loading} onMoved={onMoved} />
              <Pager pagination={shipments.data.pagination} noun="shipments" onPage={(p) => { setMoved({}); list.setPage(p); }} />
            </>
          )}
        </>
      )}
    </div>
  );
}

function ShipmentTable({ shipments, busy, onMoved }: { shipments: Shipment[]; busy: boolean; onMoved(s: Shipment): void }) {
  return (
    <TableWrap label="Shipments" busy={busy}>
      <thead>
        <tr>
          <th scope="col">Order</th><th scope="col">Tracking number</th><th scope="col">Carrier</th><th scope="col">Ship to</th>
          <th scope="col">Status</th><th scope="col">Dates</th><th scope="col">Action</th>
        </tr>
      </thead>
      <tbody>
        {shipments.map((s) => (
          <tr key={s.id}>
            <td><Link to={`/orders/${s.orderId}`}><span className="admin-sr">Order </span><ShortId id={s.orderId} /></Link></td>
            <td><code>{s.trackingNumber}</code></td>
            <td className="admin-nowrap">{s.carrier}<div className="muted admin-small">{s.service}</div></td>
            <td className="admin-nowrap">{s.address.city}, {s.address.country}</td>
            <td>
              <StatusBadge status={s.status} />
              {s.cancellationReason && <div className="muted admin-small admin-reason">{s.cancellationReason}</div>}
            </td>
            <td className="admin-small"><ShipmentDates shipment={s} /></td>
            <td><ShipmentAction shipment={s} onMoved={onMoved} /></td>
          </tr>
        ))}
      </tbody>
    </TableWrap>
  );
}

function ShipmentDates({ shipment: s }: { shipment: Shipment }) {
  if (s.deliveredAt) return <>Delivered {formatDateTime(s.deliveredAt)}</>;
  if (s.dispatchedAt) return <>Dispatched {formatDateTime(s.dispatchedAt)}<br />Due {s.estimatedDelivery}</>;
  if (s.status === 'cancelled') return <span className="muted">—</span>;
  return <>Due {s.estimatedDelivery}</>;
}

/** Dispatch a scheduled shipment or deliver a dispatched one; one button that keeps focus as it changes. */
function ShipmentAction({ shipment: s, onMoved }: { shipment: Shipment; onMoved(s: Shipment): void }) {
  const step = s.status === 'scheduled' ? 'dispatch' : s.status === 'dispatched' ? 'deliver' : null;
  if (!step) return <span className="muted">—</span>;
  return (
    <ActionButton
      variant={step === 'deliver' ? 'secondary' : undefined}
      label={`shipment ${s.trackingNumber}`}
      run={() => api<Shipment>(`/shipments/${s.id}/${step}`, { method: 'POST' })}
      onDone={onMoved}
    >
      {step === 'dispatch' ? 'Dispatch' : 'Deliver'}
    </ActionButton>
  );
}
