/** A demo category, as `POST /categories` takes it. */
export interface DemoCategory {
  slug: string;
  name: string;
  description: string;
}

/** A demo product: `price` is in US cents, `category` is a category slug. */
export interface DemoProduct {
  sku: string;
  name: string;
  description: string;
  category: string;
  price: number;
  initialStock: number;
}

/** The categories the first start seeds. */
export const DEMO_CATEGORIES: readonly DemoCategory[] = [
  { slug: 'coffee', name: 'Coffee', description: 'Beans, grinders and brewers for the morning ritual.' },
  { slug: 'tea', name: 'Tea', description: 'Loose-leaf teas and the things to steep them in.' },
  { slug: 'kitchen', name: 'Kitchen', description: 'Cookware and tools that earn their drawer space.' },
  { slug: 'books', name: 'Books', description: 'Reading for the curious: software, food and the outdoors.' },
  { slug: 'outdoor', name: 'Outdoor', description: 'Gear for trails, campsites and long days outside.' },
  { slug: 'audio', name: 'Audio', description: 'Headphones, speakers and turntables for listening well.' },
  { slug: 'desk', name: 'Desk', description: 'Keyboards, lamps and small things for a better workspace.' },
];

/** The products the first start seeds, with their opening stock. */
export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  // Coffee
  { sku: 'COF-001', name: 'Ethiopia Yirgacheffe Beans', description: 'Washed single-origin beans with notes of jasmine, lemon and black tea. Light roast, 340 g bag.', category: 'coffee', price: 1899, initialStock: 120 },
  { sku: 'COF-002', name: 'House Espresso Blend', description: 'A chocolatey, low-acid blend of Brazilian and Colombian beans, roasted for espresso. 1 kg bag.', category: 'coffee', price: 3450, initialStock: 80 },
  { sku: 'COF-003', name: 'Burr Coffee Grinder', description: 'Conical steel burrs with 40 grind settings, from espresso fine to French press coarse.', category: 'coffee', price: 14900, initialStock: 25 },
  { sku: 'COF-004', name: 'Pour-Over Dripper', description: 'A ceramic cone dripper with spiral ribs for an even extraction. Fits most mugs.', category: 'coffee', price: 2400, initialStock: 60 },
  { sku: 'COF-005', name: 'Gooseneck Kettle', description: 'A 1-litre electric kettle with a precise spout and temperature hold from 40 to 100 °C.', category: 'coffee', price: 7900, initialStock: 35 },
  { sku: 'COF-006', name: 'Stovetop Espresso Maker', description: 'The classic aluminium moka pot, six cups. Strong coffee on any hob but induction.', category: 'coffee', price: 3900, initialStock: 50 },
  { sku: 'COF-007', name: 'Cold Brew Bottle', description: 'A glass bottle with a fine mesh filter: add grounds and water, wait a night, pour.', category: 'coffee', price: 2999, initialStock: 40 },
  { sku: 'COF-008', name: 'Decaf Colombia Beans', description: 'Sugarcane-processed decaf with caramel sweetness and a round body. Medium roast, 340 g.', category: 'coffee', price: 1699, initialStock: 70 },

  // Tea
  { sku: 'TEA-001', name: 'First Flush Darjeeling', description: 'A bright, floral black tea from the spring harvest. 100 g tin of loose leaf.', category: 'tea', price: 2200, initialStock: 45 },
  { sku: 'TEA-002', name: 'Sencha Green Tea', description: 'Steamed Japanese green tea, grassy and sweet. Best brewed at 70 °C.', category: 'tea', price: 1650, initialStock: 55 },
  { sku: 'TEA-003', name: 'Earl Grey Loose Leaf', description: 'Ceylon black tea scented with real bergamot oil. 125 g pouch.', category: 'tea', price: 1200, initialStock: 90 },
  { sku: 'TEA-004', name: 'Cast Iron Teapot', description: 'A 0.8-litre enamel-lined teapot with a removable stainless infuser.', category: 'tea', price: 5400, initialStock: 20 },
  { sku: 'TEA-005', name: 'Glass Tea Infuser Mug', description: 'A double-walled mug with a lid and a basket infuser, so the leaves come out when the tea is ready.', category: 'tea', price: 2100, initialStock: 65 },
  { sku: 'TEA-006', name: 'Ceremonial Matcha', description: 'Stone-ground shade-grown tea from Uji, vivid green and smooth. 30 g tin.', category: 'tea', price: 3200, initialStock: 30 },
  { sku: 'TEA-007', name: 'Chamomile Herbal Blend', description: 'Whole chamomile flowers with lemon balm, caffeine-free for the evening.', category: 'tea', price: 950, initialStock: 100 },

  // Kitchen
  { sku: 'KIT-001', name: "Chef's Knife 8-inch", description: 'A forged high-carbon stainless blade with a full tang. Holds an edge through a season of dinners.', category: 'kitchen', price: 8900, initialStock: 30 },
  { sku: 'KIT-002', name: 'Cast Iron Skillet', description: 'A pre-seasoned 26 cm skillet that goes from stovetop to oven to campfire.', category: 'kitchen', price: 4500, initialStock: 40 },
  { sku: 'KIT-003', name: 'End-Grain Cutting Board', description: 'Walnut end-grain board, gentle on knife edges. 40 × 30 cm.', category: 'kitchen', price: 11900, initialStock: 15 },
  { sku: 'KIT-004', name: 'Digital Kitchen Scale', description: 'Weighs up to 5 kg in 1 g steps, with a tare button and a pull-out display.', category: 'kitchen', price: 2900, initialStock: 75 },
  { sku: 'KIT-005', name: 'Dutch Oven 5.5 qt', description: 'Enamelled cast iron for braises, stews and no-knead bread.', category: 'kitchen', price: 17900, initialStock: 12 },
  { sku: 'KIT-006', name: 'Silicone Spatula Set', description: 'Three heat-resistant spatulas in different sizes, seamless so nothing hides in the joints.', category: 'kitchen', price: 1800, initialStock: 110 },
  { sku: 'KIT-007', name: 'Stainless Mixing Bowls', description: 'A nesting set of five bowls with non-slip bases, from 0.5 to 5 litres.', category: 'kitchen', price: 3600, initialStock: 45 },

  // Books
  { sku: 'BOK-001', name: 'Designing Data Systems', description: 'How databases, logs and streams fit together, and what each guarantee really costs.', category: 'books', price: 4999, initialStock: 40 },
  { sku: 'BOK-002', name: 'The Pragmatic Builder', description: 'Short essays on shipping software that lasts, from naming to testing to saying no.', category: 'books', price: 3999, initialStock: 55 },
  { sku: 'BOK-003', name: 'Salt, Fat, Heat', description: 'A cookbook that teaches the four ideas behind every good dish, then the recipes.', category: 'books', price: 3500, initialStock: 35 },
  { sku: 'BOK-004', name: 'Field Guide to North American Trees', description: 'Leaves, bark and silhouettes of 600 species, with range maps. Fits a jacket pocket.', category: 'books', price: 2495, initialStock: 25 },
  { sku: 'BOK-005', name: 'The Coffee Atlas', description: 'A tour of coffee-growing regions and how place shapes flavour in the cup.', category: 'books', price: 4200, initialStock: 20 },
  { sku: 'BOK-006', name: 'Distributed Systems in Practice', description: 'Sagas, outboxes, retries and idempotency, worked through with real failures.', category: 'books', price: 5499, initialStock: 30 },
  { sku: 'BOK-007', name: 'Wild Camping Handbook', description: 'Where and how to camp light and leave no trace, with checklists for every season.', category: 'books', price: 1999, initialStock: 45 },

  // Outdoor
  { sku: 'OUT-001', name: 'Ultralight Two-Person Tent', description: 'A freestanding tent at 1.3 kg with two doors and two vestibules.', category: 'outdoor', price: 34900, initialStock: 10 },
  { sku: 'OUT-002', name: 'Down Sleeping Bag', description: '800-fill down rated to −5 °C, packing down to the size of a loaf of bread.', category: 'outdoor', price: 27900, initialStock: 14 },
  { sku: 'OUT-003', name: 'Trail Running Shoes', description: 'Grippy lugs, a rock plate and a roomy toe box for long days on rough trails.', category: 'outdoor', price: 13900, initialStock: 40 },
  { sku: 'OUT-004', name: 'Insulated Water Bottle', description: 'Keeps water cold for 24 hours or coffee hot for 12. 750 ml, leak-proof lid.', category: 'outdoor', price: 3400, initialStock: 150 },
  { sku: 'OUT-005', name: 'Headlamp 400 Lumen', description: 'A rechargeable headlamp with a red night mode and a lock so it never switches on in the pack.', category: 'outdoor', price: 4500, initialStock: 60 },
  { sku: 'OUT-006', name: 'Camping Stove', description: 'A compact canister stove that boils a litre in three minutes.', category: 'outdoor', price: 5900, initialStock: 35 },
  { sku: 'OUT-007', name: 'Daypack 24L', description: 'A light pack with a ventilated back panel, hip belt pockets and a rain cover.', category: 'outdoor', price: 8900, initialStock: 28 },
  { sku: 'OUT-008', name: 'Trekking Poles', description: 'A pair of carbon poles with cork grips that fold to 38 cm.', category: 'outdoor', price: 11900, initialStock: 22 },

  // Audio
  { sku: 'AUD-001', name: 'Noise-Cancelling Headphones', description: 'Over-ear wireless headphones with adaptive noise cancelling and 30 hours of battery.', category: 'audio', price: 29900, initialStock: 25 },
  { sku: 'AUD-002', name: 'Wireless Earbuds', description: 'Small, sweat-resistant earbuds with a pocketable charging case.', category: 'audio', price: 12900, initialStock: 50 },
  { sku: 'AUD-003', name: 'Bookshelf Speakers', description: 'A pair of powered two-way speakers with Bluetooth, optical and phono inputs.', category: 'audio', price: 34900, initialStock: 12 },
  { sku: 'AUD-004', name: 'Belt-Drive Turntable', description: 'A manual turntable with a pre-mounted cartridge and a switchable phono preamp.', category: 'audio', price: 24900, initialStock: 8 },
  { sku: 'AUD-005', name: 'Portable Bluetooth Speaker', description: 'Waterproof and dustproof, loud enough for a picnic, with 15 hours of play.', category: 'audio', price: 7900, initialStock: 70 },
  { sku: 'AUD-006', name: 'Studio Monitor Headphones', description: 'Closed-back wired headphones with a flat response for mixing and long listening.', category: 'audio', price: 14900, initialStock: 20 },
  { sku: 'AUD-007', name: 'USB Condenser Microphone', description: 'A cardioid microphone for podcasts and calls, with a headphone jack for monitoring.', category: 'audio', price: 9900, initialStock: 30 },

  // Desk
  { sku: 'DSK-001', name: 'Mechanical Keyboard', description: 'A tenkeyless keyboard with hot-swappable tactile switches and PBT keycaps.', category: 'desk', price: 11900, initialStock: 35 },
  { sku: 'DSK-002', name: 'LED Desk Lamp', description: 'A dimmable lamp with adjustable colour temperature and a USB-C charging port in its base.', category: 'desk', price: 6900, initialStock: 45 },
  { sku: 'DSK-003', name: 'Wool Felt Desk Mat', description: 'A 90 × 40 cm merino felt mat that quiets the keyboard and warms the desk.', category: 'desk', price: 4900, initialStock: 60 },
  { sku: 'DSK-004', name: 'Monitor Stand', description: 'A bamboo riser that lifts the screen to eye level, with room for a keyboard below.', category: 'desk', price: 5500, initialStock: 30 },
  { sku: 'DSK-005', name: 'Ergonomic Vertical Mouse', description: 'A wireless mouse held in a handshake grip to spare the wrist.', category: 'desk', price: 5900, initialStock: 40 },
  { sku: 'DSK-006', name: 'Fountain Pen', description: 'A steel-nib fountain pen with a converter, for notes worth writing by hand.', category: 'desk', price: 3800, initialStock: 50 },
  { sku: 'DSK-007', name: 'Dot Grid Notebook', description: 'A5, 160 pages of 100 g paper that takes fountain-pen ink without bleeding.', category: 'desk', price: 2200, initialStock: 140 },
];
