import { Link } from 'react-router';
import type { Product } from '@emporium/contracts/catalog';
import { money } from '../api.ts';

/** "In stock: N" or "Out of stock", coloured to match. */
export function StockNote({ available }: { available: number }) {
  return available > 0
    ? <span className="shop-stock in">In stock: {available}</span>
    : <span className="shop-stock out">Out of stock</span>;
}

/** A product in a grid: its name (the link to its page), category, price and stock. */
export function ProductCard({ product, level = 2 }: { product: Product; level?: 2 | 3 }) {
  const Heading = level === 2 ? 'h2' : 'h3';
  return (
    <article className="card shop-product-card">
      <p className="shop-card-category">{product.category.name}</p>
      <Heading className="shop-card-name"><Link to={`/products/${product.id}`}>{product.name}</Link></Heading>
      <p className="shop-card-foot">
        <span className="price">{money(product.price)}</span>
        <StockNote available={product.stock.available} />
      </p>
    </article>
  );
}
