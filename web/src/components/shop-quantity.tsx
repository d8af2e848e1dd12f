import { useEffect, useId, useState } from 'react';

/** A quantity with − and + buttons; a typed value is committed on Enter or when the field is left. */
export function QuantityStepper({ value, label, max = 99, disabled, onCommit }: { value: number; label: string; max?: number; disabled?: boolean; onCommit: (quantity: number) => void }) {
  const id = useId();
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);

  const commit = (quantity: number) => {
    if (Number.isInteger(quantity) && quantity >= 1 && quantity <= max && quantity !== value) onCommit(quantity);
    else setText(String(value));
  };

  return (
    <div className="shop-stepper">
      <label htmlFor={id} className="shop-sr">{label}</label>
      <button type="button" className="secondary" aria-label={`Decrease: ${label}`} disabled={disabled || value <= 1} onClick={() => commit(value - 1)}>−</button>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={1}
        max={max}
        value={text}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => commit(Number(text))}
        onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); commit(Number(text)); } }}
      />
      <button type="button" className="secondary" aria-label={`Increase: ${label}`} disabled={disabled || value >= max} onClick={() => commit(value + 1)}>+</button>
    </div>
  );
}
