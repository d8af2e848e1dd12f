import { describe, expect, it } from 'vitest';
import { templates, welcome } from '../src/domain/templates.ts';

describe('templates', () => {
  it('welcome greets the user by name', () => {
    const message = welcome({ name: 'Ada Lovelace' });
    expect(message.subject).toBe('Welcome to Emporium');
    expect(message.body.split('\n')[0]).toBe('Hello Ada Lovelace,');
  });

  it('welcome keeps the name as typed: the body is plain text, so nothing is escaped', () => {
    expect(welcome({ name: '<b>Zoë & "Ed"</b>' }).body).toContain('Hello <b>Zoë & "Ed"</b>,');
  });

  it('lists welcome under the name stored with its messages', () => {
    expect(templates.welcome).toBe(welcome);
  });
});
