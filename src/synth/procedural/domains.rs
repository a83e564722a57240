//! The built-in vocabulary of procedural databases: domains, their tables and typed columns,
//! and the word lists values are drawn from. A data table, parsed by `super::parse_domain`.
//!
//! A table line is `table(key): column kind; column kind; ...`. Kinds:
//! `person`, `first`, `last` (people's names), `company`, `city`, `country`, `title` (a
//! two-word title), `word(a|b|c)` (uniform pick), `cat(a|b|c)` (a category, first values more
//! frequent), `int(lo,hi)`, `real(lo,hi)` (two decimals), `date(y0,y1)` (ISO date),
//! `year(lo,hi)`, `code(PFX)` (unique code like `PFX-00421`), `email`, `phone`, and `>table`
//! (a foreign key to that table's key; the table must come earlier). A trailing `?` makes a
//! column nullable (about one value in ten is NULL). Each table gets `key INTEGER PRIMARY KEY`.

/// (name, description, tables). Names are lowercase identifiers; parents come before children.
pub type DomainRow = (&'static str, &'static str, &'static [&'static str]);

pub const DOMAINS: &[DomainRow] = &[
    ("library", "a public library's books, members and loans", &[
        "authors(author_id): name person; country country; birth_year year(1900,2000)",
        "books(book_id): title title; author_id >authors; genre cat(fiction|history|science|poetry|children|biography); pages int(60,950); published date(1950,2024); isbn code(ISBN)",
        "members(member_id): first_name first; last_name last; city city; joined date(2010,2024); email email?",
        "loans(loan_id): book_id >books; member_id >members; loaned_on date(2022,2024); days int(1,60); status cat(returned|open|overdue|lost)",
        "fines(fine_id): loan_id >loans; amount real(0.5,40); paid cat(yes|no)",
    ]),
    ("football_league", "clubs, players, matches and goals of a football league", &[
        "clubs(club_id): name company; city city; founded year(1880,2010); stadium_capacity int(5000,90000)",
        "players(player_id): name person; club_id >clubs; position cat(midfielder|defender|forward|goalkeeper); nationality country; market_value_eur int(100000,90000000); birth_date date(1985,2006)",
        "matches(match_id): home_club_id >clubs; away_club_id >clubs; played_on date(2021,2024); attendance int(2000,85000); home_goals int(0,6); away_goals int(0,5)",
        "goals(goal_id): match_id >matches; player_id >players; minute int(1,95); kind cat(open play|penalty|header|free kick|own goal)",
    ]),
    ("hospital", "departments, doctors, patients and visits of a hospital", &[
        "departments(department_id): name word(Cardiology|Oncology|Neurology|Pediatrics|Orthopedics|Radiology|Emergency|Dermatology); floor int(1,9); budget real(200000,5000000)",
        "doctors(doctor_id): name person; department_id >departments; specialty cat(surgery|internal medicine|pediatrics|radiology|anesthesia); hired date(1995,2024); salary int(80000,350000)",
        "patients(patient_id): first_name first; last_name last; birth_date date(1935,2020); blood_type cat(O+|A+|B+|AB+|O-|A-|B-|AB-); city city",
        "visits(visit_id): patient_id >patients; doctor_id >doctors; visit_date date(2022,2024); reason cat(checkup|follow-up|injury|infection|chronic pain|vaccination); cost real(40,2500); weight_kg real(3,140)?",
        "prescriptions(prescription_id): visit_id >visits; drug word(Amoxicillin|Ibuprofen|Metformin|Lisinopril|Atorvastatin|Omeprazole|Sertraline|Albuterol); dose_mg int(5,1000); days int(3,90)",
    ]),
    ("online_store", "an online shop's customers, products, orders and reviews", &[
        "categories(category_id): name word(Electronics|Kitchen|Garden|Toys|Books|Sports|Beauty|Office|Pets|Clothing)",
        "products(product_id): name title; category_id >categories; price real(2,1500); stock int(0,800); sku code(SKU); rating real(1,5)?",
        "customers(customer_id): first_name first; last_name last; email email; country country; signed_up date(2015,2024)",
        "orders(order_id): customer_id >customers; ordered_on date(2022,2024); status cat(delivered|shipped|processing|cancelled|returned); shipping_cost real(0,35)",
        "order_items(order_item_id): order_id >orders; product_id >products; quantity int(1,8); unit_price real(2,1500)",
        "reviews(review_id): product_id >products; customer_id >customers; stars int(1,5); posted_on date(2022,2024)",
    ]),
    ("airline", "an airline's airports, aircraft, flights and bookings", &[
        "airports(airport_id): code code(AP); city city; country country; runways int(1,6)",
        "aircraft(aircraft_id): model word(A320|A321|B737|B787|A350|E190|ATR72|B777); seats int(70,400); built year(1995,2023); registration code(REG)",
        "flights(flight_id): flight_number code(FL); origin_id >airports; destination_id >airports; aircraft_id >aircraft; departs_on date(2023,2024); distance_km int(200,12000); status cat(on time|delayed|cancelled|diverted)",
        "passengers(passenger_id): name person; nationality country; frequent_flyer cat(none|silver|gold|platinum); birth_date date(1940,2020)",
        "bookings(booking_id): flight_id >flights; passenger_id >passengers; fare real(49,4200); cabin cat(economy|premium economy|business|first); booked_on date(2022,2024)",
    ]),
    ("university", "a university's departments, courses, students and enrollments", &[
        "departments(department_id): name word(Mathematics|Physics|History|Biology|Economics|Philosophy|Chemistry|Linguistics); building code(BLD); budget int(100000,9000000)",
        "professors(professor_id): name person; department_id >departments; rank cat(assistant|associate|full|emeritus); hired year(1980,2024)",
        "courses(course_id): title title; department_id >departments; professor_id >professors; credits int(1,6); level cat(introductory|intermediate|advanced|graduate)",
        "students(student_id): first_name first; last_name last; enrolled_year year(2015,2024); home_country country; gpa real(1.5,4)",
        "enrollments(enrollment_id): student_id >students; course_id >courses; semester cat(fall|spring|summer); grade cat(A|B|C|D|F|incomplete); score int(0,100)",
    ]),
    ("real_estate", "agents, properties, listings and sales of a real estate agency", &[
        "agents(agent_id): name person; office city; license code(LIC); commission_rate real(1,6)",
        "properties(property_id): street_number int(1,999); city city; kind cat(apartment|house|townhouse|studio|loft|villa); bedrooms int(0,7); area_sqm int(20,600); built year(1900,2024)",
        "listings(listing_id): property_id >properties; agent_id >agents; listed_on date(2021,2024); asking_price int(60000,3500000); status cat(active|sold|withdrawn|expired)",
        "sales(sale_id): listing_id >listings; sold_on date(2021,2024); price int(55000,3400000); buyer_name person",
    ]),
    ("restaurant_chain", "restaurants, dishes, staff and orders of a restaurant chain", &[
        "restaurants(restaurant_id): name company; city city; opened date(2000,2023); seats int(20,250); cuisine cat(italian|japanese|mexican|indian|french|thai|greek)",
        "dishes(dish_id): name word(Risotto|Ramen|Tacos|Curry|Ratatouille|Pad Thai|Moussaka|Lasagna|Sushi|Burrito|Biryani|Gyoza); course cat(main|starter|dessert|side); price real(3,45); vegetarian cat(no|yes)",
        "staff(staff_id): name person; restaurant_id >restaurants; role cat(waiter|cook|chef|manager|dishwasher|host); hourly_wage real(9,40); hired date(2010,2024)",
        "orders(order_id): restaurant_id >restaurants; dish_id >dishes; staff_id >staff; ordered_at date(2023,2024); quantity int(1,6); tip real(0,25)?",
    ]),
    ("film_studio", "films, directors, actors and box office of a film studio", &[
        "directors(director_id): name person; country country; born year(1940,1995)",
        "films(film_id): title title; director_id >directors; release_date date(1980,2024); genre cat(drama|comedy|action|thriller|horror|animation|documentary); budget_usd int(500000,300000000); runtime_min int(75,200)",
        "actors(actor_id): name person; birth_year year(1940,2005); nationality country",
        "castings(casting_id): film_id >films; actor_id >actors; role_type cat(supporting|lead|cameo|voice); fee_usd int(10000,20000000)",
        "box_office(entry_id): film_id >films; country country; gross_usd int(10000,900000000); weeks int(1,40)",
    ]),
    ("music_label", "artists, albums, tracks and concerts of a record label", &[
        "artists(artist_id): name person; genre cat(rock|pop|jazz|hip hop|electronic|folk|classical); country country; debut_year year(1965,2023)",
        "albums(album_id): title title; artist_id >artists; released date(1970,2024); label_code code(LBL); copies_sold int(1000,30000000)",
        "tracks(track_id): title title; album_id >albums; duration_sec int(90,720); streams int(100,900000000); explicit cat(no|yes)",
        "venues(venue_id): name company; city city; capacity int(200,80000)",
        "concerts(concert_id): artist_id >artists; venue_id >venues; concert_date date(2018,2024); tickets_sold int(100,80000); ticket_price real(15,350)",
    ]),
    ("bank", "a bank's branches, customers, accounts, loans and transactions", &[
        "branches(branch_id): name company; city city; opened year(1950,2022); assets_eur int(1000000,900000000)",
        "customers(customer_id): first_name first; last_name last; birth_date date(1940,2006); city city; segment cat(retail|premium|private|business)",
        "accounts(account_id): customer_id >customers; branch_id >branches; iban code(IBAN); kind cat(checking|savings|business|student); balance real(-2000,250000); opened_on date(2000,2024)",
        "transactions(transaction_id): account_id >accounts; booked_on date(2023,2024); amount real(-5000,9000); channel cat(card|transfer|atm|direct debit|cheque)",
        "loans(loan_id): customer_id >customers; principal int(1000,900000); rate_pct real(1,12); term_months int(6,360); status cat(current|repaid|late|defaulted)",
    ]),
    ("school_district", "schools, teachers, classes and exam results of a school district", &[
        "schools(school_id): name company; district cat(north|south|east|west|central); founded year(1880,2015); pupils int(80,2200)",
        "teachers(teacher_id): name person; school_id >schools; subject cat(mathematics|english|science|history|art|music|sport); years_experience int(0,40); salary int(28000,90000)",
        "pupils(pupil_id): first_name first; last_name last; school_id >schools; grade_level int(1,12); birth_date date(2006,2019)",
        "exam_results(result_id): pupil_id >pupils; teacher_id >teachers; exam_date date(2022,2024); score int(0,100); passed cat(yes|no)",
    ]),
    ("hotel", "hotels, rooms, guests and reservations of a hotel group", &[
        "hotels(hotel_id): name company; city city; stars int(1,5); opened year(1900,2023)",
        "rooms(room_id): hotel_id >hotels; room_number int(100,999); kind cat(double|single|suite|family|deluxe); nightly_rate real(40,900); floor int(0,30)",
        "guests(guest_id): name person; country country; email email?; loyalty_tier cat(none|silver|gold|platinum)",
        "reservations(reservation_id): room_id >rooms; guest_id >guests; check_in date(2023,2024); nights int(1,21); total_price real(40,15000); channel cat(website|travel agent|phone|walk-in)",
    ]),
    ("fitness_club", "gyms, trainers, members and workout sessions", &[
        "gyms(gym_id): name company; city city; area_sqm int(200,5000); opened date(2005,2023)",
        "trainers(trainer_id): name person; gym_id >gyms; specialty cat(strength|cardio|yoga|pilates|boxing|crossfit); hourly_rate real(20,120)",
        "members(member_id): first_name first; last_name last; gym_id >gyms; plan cat(monthly|annual|student|corporate); joined date(2015,2024); age int(16,85)",
        "sessions(session_id): member_id >members; trainer_id >trainers; session_date date(2023,2024); minutes int(20,120); calories int(80,1200)",
    ]),
    ("veterinary_clinic", "owners, pets, vets and appointments of a veterinary clinic", &[
        "owners(owner_id): name person; phone phone; city city",
        "pets(pet_id): name word(Bella|Max|Luna|Charlie|Milo|Coco|Rocky|Daisy|Oscar|Nala|Simba|Ruby); species cat(dog|cat|rabbit|bird|hamster|turtle); owner_id >owners; birth_date date(2008,2024); weight_kg real(0.1,70)",
        "vets(vet_id): name person; specialty cat(general|surgery|dentistry|dermatology|exotics); licensed year(1985,2023)",
        "appointments(appointment_id): pet_id >pets; vet_id >vets; visit_date date(2022,2024); reason cat(vaccination|checkup|injury|dental|surgery|allergy); fee real(30,1800)",
    ]),
    ("car_rental", "rental branches, cars, customers and rentals", &[
        "branches(branch_id): city city; country country; opened year(1990,2023)",
        "cars(car_id): make word(Toyota|Ford|Volkswagen|Renault|Fiat|Skoda|Kia|Hyundai|BMW|Tesla); model_year year(2012,2024); branch_id >branches; category cat(compact|economy|suv|van|luxury|electric); daily_rate real(19,250); plate code(PL)",
        "customers(customer_id): name person; license_country country; birth_date date(1945,2005)",
        "rentals(rental_id): car_id >cars; customer_id >customers; picked_up date(2023,2024); days int(1,30); km_driven int(10,6000); total real(20,7000)",
    ]),
    ("public_transit", "lines, stops, vehicles and trips of a city's public transit", &[
        "lines(line_id): code code(LN); mode cat(bus|tram|metro|ferry|cable car); length_km real(2,60); opened year(1890,2023)",
        "stops(stop_id): name title; district cat(centre|harbour|old town|university|airport|industrial|suburbs); accessible cat(yes|no)",
        "vehicles(vehicle_id): line_id >lines; fleet_number code(VH); built year(1985,2024); capacity int(40,900)",
        "trips(trip_id): vehicle_id >vehicles; stop_id >stops; trip_date date(2024,2024); passengers int(0,800); delay_min int(0,45)",
    ]),
    ("farm_cooperative", "farms, crops, harvests and sales of a farming cooperative", &[
        "farms(farm_id): name company; region cat(valley|hills|coast|plains|highlands); hectares real(5,2500); owner person",
        "crops(crop_id): name word(Wheat|Barley|Maize|Potatoes|Apples|Grapes|Olives|Soybeans|Sunflowers|Carrots); kind cat(grain|vegetable|fruit|oilseed); price_per_ton real(90,2200)",
        "harvests(harvest_id): farm_id >farms; crop_id >crops; harvest_year year(2015,2024); tons real(1,9000); quality cat(A|B|C)",
        "sales(sale_id): harvest_id >harvests; buyer company; sold_on date(2015,2024); tons real(0.5,3000); revenue real(100,6000000)",
    ]),
    ("museum", "museums, artists, artworks, exhibitions and loans between museums", &[
        "museums(museum_id): name company; city city; founded year(1750,2015); annual_visitors int(5000,9000000)",
        "artists(artist_id): name person; nationality country; born year(1450,1990); movement cat(impressionism|baroque|modernism|renaissance|surrealism|pop art|cubism)",
        "artworks(artwork_id): title title; artist_id >artists; museum_id >museums; year_created year(1480,2020); medium cat(oil|watercolor|bronze|marble|photography|ink); insured_value int(1000,90000000)",
        "exhibitions(exhibition_id): museum_id >museums; title title; opens date(2018,2024); weeks int(2,40); visitors int(500,900000)",
    ]),
    ("software_company", "teams, engineers, projects, releases and bugs of a software company", &[
        "teams(team_id): name word(Platform|Payments|Search|Mobile|Data|Security|Growth|Infra); location city; headcount int(3,60)",
        "engineers(engineer_id): name person; team_id >teams; level cat(junior|mid|senior|staff|principal); hired date(2010,2024); salary int(45000,320000)",
        "projects(project_id): name title; team_id >teams; started date(2018,2024); language cat(rust|python|go|typescript|java|kotlin); budget int(10000,5000000)",
        "releases(release_id): project_id >projects; version code(V); released_on date(2019,2024); kind cat(patch|minor|major)",
        "bugs(bug_id): project_id >projects; reporter_id >engineers; severity cat(low|medium|high|critical); opened_on date(2020,2024); days_open int(0,400)",
    ]),
    ("electric_utility", "power plants, substations, customers and meter readings of a utility", &[
        "plants(plant_id): name company; source cat(gas|hydro|wind|solar|nuclear|coal|biomass); capacity_mw int(5,4000); commissioned year(1960,2024)",
        "substations(substation_id): code code(SS); plant_id >plants; region cat(north|south|east|west|central); voltage_kv int(11,400)",
        "customers(customer_id): name person; substation_id >substations; tariff cat(residential|commercial|industrial|agricultural); connected date(1990,2024)",
        "readings(reading_id): customer_id >customers; read_on date(2023,2024); kwh real(10,90000); outage_minutes int(0,600)",
    ]),
    ("insurance", "agents, policyholders, policies and claims of an insurer", &[
        "agents(agent_id): name person; region cat(north|south|east|west); commission_pct real(2,15)",
        "policyholders(holder_id): first_name first; last_name last; birth_date date(1940,2004); city city",
        "policies(policy_id): holder_id >policyholders; agent_id >agents; product cat(car|home|life|travel|health|pet); premium real(90,9000); starts date(2018,2024); number code(POL)",
        "claims(claim_id): policy_id >policies; filed_on date(2019,2024); amount real(50,250000); status cat(paid|open|rejected|under review); cause cat(accident|theft|storm|fire|illness|water damage)",
    ]),
    ("marathon_events", "races, runners and results of marathon events", &[
        "races(race_id): city city; race_date date(2015,2024); distance_km real(5,42.2); terrain cat(road|trail|track|mixed); finishers int(100,50000)",
        "runners(runner_id): name person; country country; birth_year year(1950,2008); club company?",
        "results(result_id): race_id >races; runner_id >runners; finish_minutes real(14,420); place int(1,5000); category cat(open|veteran|junior|wheelchair)",
    ]),
    ("shipping_port", "ships, berths, port calls and cargo of a seaport", &[
        "shipping_lines(line_id): name company; country country; fleet_size int(3,700)",
        "ships(ship_id): name title; line_id >shipping_lines; kind cat(container|bulk carrier|tanker|ro-ro|cruise|reefer); gross_tonnage int(2000,230000); built year(1980,2024); imo code(IMO)",
        "berths(berth_id): code code(BR); depth_m real(8,22); length_m int(120,450)",
        "port_calls(call_id): ship_id >ships; berth_id >berths; arrived date(2023,2024); hours_docked int(4,120); fee_eur real(1500,250000)",
        "cargo(cargo_id): call_id >port_calls; goods cat(containers|grain|oil|cars|coal|iron ore|fruit); tons int(10,180000); direction cat(import|export)",
    ]),
    ("city_council", "districts, council members, proposals and votes of a city council", &[
        "districts(district_id): name title; population int(2000,400000); area_km2 real(1,120)",
        "members(member_id): name person; district_id >districts; party cat(green|social|liberal|conservative|independent); elected year(2002,2024)",
        "proposals(proposal_id): title title; sponsor_id >members; filed_on date(2020,2024); topic cat(housing|transport|parks|budget|schools|safety); cost_eur int(0,40000000)",
        "votes(vote_id): proposal_id >proposals; member_id >members; choice cat(yes|no|abstain); cast_on date(2020,2024)",
    ]),
    ("bookstore_chain", "stores, publishers, titles, stock and sales of a bookstore chain", &[
        "publishers(publisher_id): name company; country country; founded year(1800,2020)",
        "stores(store_id): city city; area_sqm int(50,2500); opened date(1990,2024)",
        "titles(title_id): name title; publisher_id >publishers; format cat(paperback|hardcover|ebook|audiobook); list_price real(4,90); language cat(english|spanish|french|german|italian)",
        "stock(stock_id): store_id >stores; title_id >titles; copies int(0,120); restocked date(2023,2024)",
        "sales(sale_id): store_id >stores; title_id >titles; sold_on date(2023,2024); copies int(1,12); discount_pct int(0,40)",
    ]),
    ("clinical_trials", "sponsors, trials, sites, participants and adverse events", &[
        "sponsors(sponsor_id): name company; country country",
        "trials(trial_id): code code(NCT); sponsor_id >sponsors; phase cat(phase 2|phase 3|phase 1|phase 4); condition cat(diabetes|asthma|hypertension|migraine|arthritis|depression); started date(2015,2024); target_enrollment int(20,5000)",
        "sites(site_id): city city; country country; beds int(20,1500)",
        "participants(participant_id): trial_id >trials; site_id >sites; age int(18,90); sex cat(female|male); arm cat(treatment|placebo); enrolled_on date(2015,2024)",
        "adverse_events(event_id): participant_id >participants; reported_on date(2015,2024); severity cat(mild|moderate|severe|life-threatening); resolved cat(yes|no)",
    ]),
    ("video_games", "studios, games, platforms, players and achievements", &[
        "studios(studio_id): name company; country country; founded year(1975,2022); employees int(5,9000)",
        "games(game_id): title title; studio_id >studios; genre cat(action|rpg|strategy|puzzle|sports|simulation|shooter); released date(1995,2024); price real(0,70); rating cat(E|T|M|E10+)",
        "players(player_id): username code(USR); country country; joined date(2010,2024); level int(1,120)",
        "playtime(playtime_id): player_id >players; game_id >games; hours real(0.5,3000); last_played date(2023,2024)",
        "achievements(achievement_id): game_id >games; name title; points int(5,100); unlocked_by_pct real(0.1,95)",
    ]),
    ("wine_cellar", "wineries, wines, vintages, tastings and orders of a wine merchant", &[
        "wineries(winery_id): name company; region word(Bordeaux|Rioja|Tuscany|Napa|Mosel|Douro|Barossa|Mendoza|Burgundy); country country; founded year(1700,2015)",
        "wines(wine_id): name title; winery_id >wineries; grape cat(merlot|cabernet|pinot noir|chardonnay|riesling|tempranillo|syrah); color cat(red|white|rose|sparkling); price real(6,600)",
        "vintages(vintage_id): wine_id >wines; year year(1990,2022); bottles int(500,90000); score int(78,100)",
        "tastings(tasting_id): vintage_id >vintages; taster person; tasted_on date(2018,2024); notes_rating int(1,10)",
    ]),
    ("logistics", "warehouses, trucks, drivers, shipments and deliveries", &[
        "warehouses(warehouse_id): city city; capacity_pallets int(500,60000); opened year(1980,2024)",
        "drivers(driver_id): name person; license_class cat(C|CE|C1|B); hired date(2005,2024); rating real(2.5,5)",
        "trucks(truck_id): plate code(TR); make word(Volvo|Scania|MAN|DAF|Iveco|Mercedes); capacity_tons int(3,40); built year(2005,2024)",
        "shipments(shipment_id): warehouse_id >warehouses; truck_id >trucks; driver_id >drivers; shipped_on date(2023,2024); weight_kg int(50,38000); destination city; status cat(delivered|in transit|delayed|returned)",
    ]),
    ("astronomy_observatory", "telescopes, astronomers, celestial objects and observations", &[
        "telescopes(telescope_id): name title; site country; aperture_m real(0.5,39); kind cat(optical|radio|infrared|x-ray)",
        "astronomers(astronomer_id): name person; institution company; career_start year(1970,2022)",
        "objects(object_id): catalog_code code(NGC); kind cat(galaxy|star|nebula|cluster|quasar|exoplanet); magnitude real(-1.5,22); distance_ly int(4,900000000)",
        "observations(observation_id): telescope_id >telescopes; astronomer_id >astronomers; object_id >objects; observed_on date(2015,2024); exposure_sec int(1,36000); seeing cat(good|fair|excellent|poor)",
    ]),
    ("charity", "donors, campaigns, donations and volunteers of a charity", &[
        "campaigns(campaign_id): name title; cause cat(health|education|environment|hunger|animals|disaster relief); goal_eur int(5000,5000000); starts date(2018,2024)",
        "donors(donor_id): name person; city city; first_gift date(2005,2024); kind cat(individual|company|foundation)",
        "donations(donation_id): donor_id >donors; campaign_id >campaigns; amount real(5,250000); given_on date(2018,2024); method cat(card|bank transfer|cash|cheque|crypto)",
        "volunteers(volunteer_id): name person; campaign_id >campaigns; hours int(1,600); joined date(2015,2024)",
    ]),
    ("ski_resort", "slopes, lifts, passes and ski school lessons of a ski resort", &[
        "slopes(slope_id): name title; difficulty cat(blue|red|green|black); length_m int(200,8000); vertical_m int(50,1800)",
        "lifts(lift_id): name title; kind cat(chairlift|gondola|drag lift|cable car); capacity_per_hour int(400,4500); built year(1965,2024)",
        "passes(pass_id): holder person; kind cat(day|week|season|half day); price real(25,1200); bought_on date(2023,2024)",
        "lessons(lesson_id): pass_id >passes; slope_id >slopes; instructor person; lesson_date date(2023,2024); hours int(1,6); level cat(beginner|intermediate|advanced)",
    ]),
    ("pharmacy_chain", "pharmacies, medicines, suppliers and prescriptions filled", &[
        "suppliers(supplier_id): name company; country country; reliability real(0.5,1)",
        "pharmacies(pharmacy_id): city city; opened year(1960,2024); open_24h cat(no|yes)",
        "medicines(medicine_id): name word(Paracetamol|Ibuprofen|Amoxicillin|Cetirizine|Omeprazole|Metformin|Salbutamol|Loratadine|Simvastatin|Aspirin); supplier_id >suppliers; form cat(tablet|capsule|syrup|inhaler|cream); unit_price real(0.5,120); prescription_only cat(yes|no)",
        "fills(fill_id): pharmacy_id >pharmacies; medicine_id >medicines; filled_on date(2023,2024); quantity int(1,90); insured cat(yes|no)",
    ]),
    ("newspaper", "journalists, sections, articles and comments of a newspaper", &[
        "sections(section_id): name word(Politics|Business|Sport|Culture|Science|Travel|Opinion|Local); editor person",
        "journalists(journalist_id): name person; section_id >sections; joined date(1995,2024); contract cat(staff|freelance|intern)",
        "articles(article_id): headline title; journalist_id >journalists; section_id >sections; published date(2022,2024); words int(150,6000); page_views int(10,2000000)",
        "comments(comment_id): article_id >articles; author code(U); posted_on date(2022,2024); likes int(0,5000); flagged cat(no|yes)",
    ]),
    ("zoo", "enclosures, animals, keepers and feedings of a zoo", &[
        "enclosures(enclosure_id): name title; habitat cat(savanna|rainforest|arctic|desert|aquatic|aviary); area_sqm int(50,40000)",
        "animals(animal_id): name word(Kito|Asha|Bruno|Zara|Tembo|Nia|Raja|Luna|Ozzy|Pip|Sabu|Mara); species word(lion|elephant|penguin|giraffe|zebra|gorilla|tiger|flamingo|otter|rhino|panda); enclosure_id >enclosures; born date(1990,2024); weight_kg real(1,6000); sex cat(female|male)",
        "keepers(keeper_id): name person; hired date(1995,2024); certification cat(mammals|birds|reptiles|aquatic)",
        "feedings(feeding_id): animal_id >animals; keeper_id >keepers; fed_on date(2024,2024); food cat(meat|hay|fish|fruit|insects|pellets); kg real(0.1,150)",
    ]),
    ("construction", "contractors, sites, workers, materials and inspections", &[
        "contractors(contractor_id): name company; city city; founded year(1950,2022); rating real(1,5)",
        "sites(site_id): city city; contractor_id >contractors; kind cat(residential|office|bridge|road|school|hospital); started date(2019,2024); budget_eur int(100000,900000000)",
        "workers(worker_id): name person; contractor_id >contractors; trade cat(carpenter|electrician|plumber|mason|welder|crane operator); daily_rate real(90,600)",
        "materials(material_id): site_id >sites; material cat(concrete|steel|timber|glass|brick|asphalt); tons real(1,40000); cost_eur real(100,20000000)",
        "inspections(inspection_id): site_id >sites; inspected_on date(2019,2024); result cat(pass|minor issues|fail); inspector person",
    ]),
    ("orchestra", "musicians, instruments, concerts and pieces of an orchestra", &[
        "musicians(musician_id): name person; section cat(strings|woodwinds|brass|percussion|keyboard); joined year(1980,2024); nationality country",
        "instruments(instrument_id): kind word(violin|viola|cello|double bass|flute|oboe|clarinet|bassoon|horn|trumpet|timpani|harp); maker company; built year(1700,2022); value_eur int(500,9000000); musician_id >musicians",
        "concerts(concert_id): hall company; city city; concert_date date(2018,2024); audience int(150,2500); conductor person",
        "programme(programme_id): concert_id >concerts; composer word(Mozart|Beethoven|Brahms|Mahler|Debussy|Bach|Sibelius|Dvorak|Ravel|Shostakovich); piece title; minutes int(5,95)",
    ]),
    ("space_agency", "missions, spacecraft, astronauts and launches", &[
        "spacecraft(spacecraft_id): name title; kind cat(orbiter|lander|rover|crew capsule|telescope|probe); mass_kg int(50,25000); manufacturer company",
        "missions(mission_id): name title; spacecraft_id >spacecraft; target cat(earth orbit|moon|mars|venus|jupiter|asteroid|sun); budget_musd int(20,10000); outcome cat(success|partial|failure|ongoing)",
        "astronauts(astronaut_id): name person; nationality country; selected year(1960,2022); flights int(0,7)",
        "launches(launch_id): mission_id >missions; launch_date date(1970,2024); site word(Kourou|Cape Canaveral|Baikonur|Tanegashima|Sriharikota|Jiuquan); crew int(0,7)",
        "crew_assignments(assignment_id): launch_id >launches; astronaut_id >astronauts; role cat(commander|pilot|mission specialist|flight engineer)",
    ]),
    ("parking_operator", "car parks, spaces, permits and parking sessions", &[
        "car_parks(car_park_id): name title; city city; levels int(1,12); hourly_rate real(0.5,9); covered cat(yes|no)",
        "permits(permit_id): holder person; car_park_id >car_parks; kind cat(monthly|resident|business|disabled); valid_from date(2023,2024); price real(10,400)",
        "sessions(session_id): car_park_id >car_parks; plate code(PL); entered date(2024,2024); minutes int(5,1440); paid real(0,80); payment cat(card|app|cash|permit)",
    ]),
    ("recipe_site", "cooks, recipes, ingredients and ratings of a recipe website", &[
        "cooks(cook_id): name person; country country; joined date(2012,2024); followers int(0,900000)",
        "recipes(recipe_id): title title; cook_id >cooks; cuisine cat(italian|mexican|indian|chinese|french|japanese|middle eastern); minutes int(5,300); servings int(1,12); calories int(80,1600)",
        "ingredients(ingredient_id): name word(flour|butter|garlic|tomato|rice|chicken|lentils|basil|ginger|lemon|eggs|cheese|chili|onion); kind cat(vegetable|dairy|grain|meat|spice|fruit|herb)",
        "recipe_ingredients(line_id): recipe_id >recipes; ingredient_id >ingredients; grams int(2,1000)",
        "ratings(rating_id): recipe_id >recipes; stars int(1,5); rated_on date(2020,2024)",
    ]),
    ("telecom", "subscribers, plans, devices, calls and support tickets of a mobile operator", &[
        "plans(plan_id): name word(Basic|Smart|Unlimited|Family|Student|Business|Travel); monthly_fee real(5,90); data_gb int(1,200)",
        "subscribers(subscriber_id): name person; plan_id >plans; city city; since date(2010,2024); phone phone",
        "devices(device_id): subscriber_id >subscribers; brand word(Apple|Samsung|Xiaomi|Google|Nokia|Motorola|Oppo); bought_on date(2018,2024); price real(80,1600)",
        "calls(call_id): subscriber_id >subscribers; called_on date(2024,2024); seconds int(2,7200); kind cat(domestic|international|roaming)",
        "tickets(ticket_id): subscriber_id >subscribers; opened_on date(2023,2024); topic cat(billing|coverage|device|contract|roaming); resolved cat(yes|no)",
    ]),
    ("art_auction", "auction houses, lots, bidders and bids", &[
        "houses(house_id): name company; city city; founded year(1744,2010)",
        "auctions(auction_id): house_id >houses; held_on date(2015,2024); theme cat(modern art|old masters|jewellery|antiques|photography|design)",
        "lots(lot_id): auction_id >auctions; title title; artist person; estimate_low int(500,5000000); estimate_high int(1000,9000000); sold cat(yes|no)",
        "bidders(bidder_id): name person; country country; paddle code(PAD)",
        "bids(bid_id): lot_id >lots; bidder_id >bidders; amount int(400,12000000); channel cat(room|phone|online|absentee)",
    ]),
    ("cycling_team", "riders, bikes, races and stage results of a professional cycling team", &[
        "riders(rider_id): name person; nationality country; birth_date date(1985,2005); speciality cat(climber|sprinter|all-rounder|time trialist|domestique); weight_kg real(52,85)",
        "bikes(bike_id): brand word(Pinarello|Trek|Specialized|Canyon|Colnago|Bianchi|Cervelo); rider_id >riders; weight_kg real(6.8,9.5); bought year(2018,2024)",
        "races(race_id): name title; country country; start_date date(2019,2024); stages int(1,21); category cat(world tour|pro series|continental)",
        "stage_results(result_id): race_id >races; rider_id >riders; stage int(1,21); position int(1,180); seconds_behind int(0,3600)",
    ]),
    ("mining_company", "mines, minerals, equipment, shifts and output of a mining company", &[
        "mines(mine_id): name title; country country; kind cat(open pit|underground|placer); opened year(1900,2022); depth_m int(20,3900)",
        "minerals(mineral_id): name word(copper|gold|iron ore|lithium|nickel|zinc|silver|cobalt|bauxite); price_per_ton real(60,60000000)",
        "equipment(equipment_id): mine_id >mines; kind cat(excavator|haul truck|drill|loader|crusher); serial code(EQ); hours_used int(0,90000)",
        "output(output_id): mine_id >mines; mineral_id >minerals; month date(2022,2024); tons real(1,900000); grade_pct real(0.1,65)",
    ]),
    ("language_school", "teachers, courses, learners and lessons of a language school", &[
        "teachers(teacher_id): name person; native_language cat(english|spanish|french|german|mandarin|japanese|arabic); hourly_rate real(15,90)",
        "courses(course_id): language cat(english|spanish|french|german|mandarin|japanese|arabic); level cat(A1|A2|B1|B2|C1|C2); teacher_id >teachers; weeks int(4,40); fee real(90,3000)",
        "learners(learner_id): first_name first; last_name last; country country; age int(8,80)",
        "enrolments(enrolment_id): course_id >courses; learner_id >learners; enrolled_on date(2021,2024); final_score int(0,100)?; completed cat(yes|no)",
    ]),
    ("water_utility", "reservoirs, treatment plants, pipes and water quality samples", &[
        "reservoirs(reservoir_id): name title; region cat(north|south|east|west|central); capacity_ml int(100,900000); built year(1880,2020)",
        "treatment_plants(plant_id): name company; reservoir_id >reservoirs; capacity_ml_day int(5,4000); method cat(filtration|chlorination|ozone|uv|reverse osmosis)",
        "pipes(pipe_id): plant_id >treatment_plants; material cat(pvc|cast iron|steel|concrete|copper); diameter_mm int(50,2400); laid year(1900,2024); length_km real(0.1,80)",
        "samples(sample_id): plant_id >treatment_plants; sampled_on date(2023,2024); ph real(6,9); turbidity_ntu real(0,5); compliant cat(yes|no)",
    ]),
    ("event_tickets", "venues, events, customers and tickets of a ticketing platform", &[
        "venues(venue_id): name company; city city; capacity int(100,90000); indoor cat(yes|no)",
        "events(event_id): title title; venue_id >venues; kind cat(concert|theatre|sport|comedy|festival|conference); event_date date(2023,2025); base_price real(5,400)",
        "customers(customer_id): name person; email email; city city; registered date(2012,2024)",
        "tickets(ticket_id): event_id >events; customer_id >customers; seat_class cat(standard|premium|vip|standing); price real(5,1500); bought_on date(2023,2024); scanned cat(yes|no)",
    ]),
];

/// Columns any table may carry besides its domain's own (`name kind`, as in a table line):
/// bookkeeping that real schemas are full of. They make procedural schemas as wide as
/// hand-made ones (30-40 columns a database) so a model learns to pass over columns a question
/// does not ask about.
pub const EXTRA_COLUMNS: &[&str] = &[
    "created_on date(2015,2024)",
    "updated_on date(2021,2024)?",
    "is_active int(0,1)",
    "is_verified int(0,1)",
    "priority cat(low|medium|high|critical)",
    "region cat(north|south|east|west|central)",
    "rating real(1,5)?",
    "contact_email email?",
    "contact_phone phone?",
    "reference_code code(REF)",
    "source cat(web|phone|referral|partner|walk-in)",
    "tier cat(standard|plus|premium)",
    "notes word(checked|needs review|escalated|archived|pending)?",
    "last_checked date(2022,2024)?",
    "sort_order int(1,500)",
    "external_ref code(EXT)",
    "discount_pct int(0,30)?",
    "verified_by person?",
];

pub const FIRST_NAMES: &[&str] = &[
    "Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kara",
    "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Samir", "Tara", "Umar", "Vera",
    "Wei", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Carmen", "Dmitri", "Emma", "Felix", "Gita",
    "Hugo", "Isla", "Jamal", "Kenji", "Lena", "Marco", "Nadia", "Oscar", "Priya", "Rafael",
    "Sofia", "Tomas", "Lucia", "Arjun", "Mei", "Omar", "Leila",
];

pub const LAST_NAMES: &[&str] = &[
    "Smith",
    "Garcia",
    "Muller",
    "Rossi",
    "Kowalski",
    "Nguyen",
    "Tanaka",
    "Silva",
    "Okafor",
    "Johansson",
    "Dubois",
    "Ivanova",
    "Khan",
    "Lopez",
    "Novak",
    "Andersen",
    "Moreau",
    "Costa",
    "Becker",
    "Sato",
    "Hughes",
    "Fischer",
    "Romano",
    "Petrov",
    "Haddad",
    "Kim",
    "Larsen",
    "Mendes",
    "OBrien",
    "Schmidt",
    "Yilmaz",
    "Chen",
    "Patel",
    "Weber",
    "Ferrari",
    "Nakamura",
    "Jensen",
    "Alvarez",
    "Walsh",
    "Horvat",
];

pub const CITIES: &[&str] = &[
    "Lisbon", "Porto", "Madrid", "Lyon", "Berlin", "Hamburg", "Milan", "Naples", "Vienna",
    "Prague", "Krakow", "Oslo", "Bergen", "Dublin", "Leeds", "Toronto", "Denver", "Austin",
    "Osaka", "Nagoya", "Seoul", "Pune", "Nairobi", "Accra", "Lima", "Quito", "Santiago", "Perth",
    "Auckland", "Tallinn",
];

pub const COUNTRIES: &[&str] = &[
    "Portugal",
    "Spain",
    "France",
    "Germany",
    "Italy",
    "Austria",
    "Poland",
    "Norway",
    "Ireland",
    "Canada",
    "United States",
    "Japan",
    "South Korea",
    "India",
    "Kenya",
    "Ghana",
    "Peru",
    "Ecuador",
    "Chile",
    "Australia",
    "New Zealand",
    "Estonia",
    "Brazil",
    "Mexico",
    "Egypt",
];

pub const COMPANY_WORDS: &[&str] = &[
    "Blue", "North", "Golden", "Silver", "Red", "Green", "Iron", "Cedar", "Harbor", "Summit",
    "Oak", "River", "Stone", "Bright", "Eagle", "Maple", "Royal", "Pioneer", "Crystal", "Atlas",
];

pub const COMPANY_SUFFIXES: &[&str] = &[
    "Group",
    "Partners",
    "Works",
    "House",
    "Collective",
    "Union",
    "Trust",
    "Company",
    "Hall",
    "Center",
];

pub const TITLE_ADJECTIVES: &[&str] = &[
    "Silent", "Hidden", "Last", "Golden", "Broken", "Endless", "Northern", "Crimson", "Quiet",
    "Wild", "Distant", "Secret", "Little", "Burning", "Frozen", "Bright", "Lost", "Open",
];

pub const TITLE_NOUNS: &[&str] = &[
    "River", "Garden", "Harbor", "Mountain", "Letter", "Bridge", "Forest", "Road", "Island",
    "Window", "Storm", "Valley", "Tower", "Lantern", "Horizon", "Meadow", "Echo", "Voyage",
];
